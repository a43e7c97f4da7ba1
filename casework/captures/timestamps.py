"""Trusted timestamps (RFC 3161): a timestamping authority signs that a capture's manifest hash and the custody
chain's head existed at a time. The signed statement is small and kept beside the token, so anyone can check
both offline (verify_bundle.py does) with the authority's certificate."""

import json
import urllib.request
from datetime import datetime

from cryptography import x509
from rfc3161_client import (
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

MAX_RESPONSE_BYTES = 1024 * 1024


class TimestampFailed(Exception):
    """The authority gave no valid token; the message says why."""


def timestamp_statement(*, manifest_sha256: str, custody_head: str) -> bytes:
    """The exact bytes that are timestamped: the capture manifest's SHA-256 and the custody head, as JSON."""
    document = {"capture_manifest_sha256": manifest_sha256, "custody_head_hash": custody_head}
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def timestamp_obtain(*, data: bytes, url: str, timeout: float = 20) -> tuple[bytes, datetime]:
    """A timestamp response (DER) for `data` from the authority at `url`, with its time. The answer must be
    granted, for this data's SHA-256 and this request's nonce, and carry the authority's certificate."""
    request = TimestampRequestBuilder().data(data).nonce(nonce=True).cert_request(cert_request=True).build()
    http_request = urllib.request.Request(
        url, data=request.as_bytes(), headers={"Content-Type": "application/timestamp-query"}, method="POST"
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as answer:  # noqa: S310 (the operator's TSA)
            body = answer.read(MAX_RESPONSE_BYTES + 1)
    except OSError as error:
        raise TimestampFailed(f"the timestamping authority could not be reached ({error})") from error
    if len(body) > MAX_RESPONSE_BYTES:
        raise TimestampFailed("the timestamping authority's answer is too large")
    try:
        response = decode_timestamp_response(body)
    except ValueError as error:
        raise TimestampFailed(f"the timestamping authority's answer is not a timestamp ({error})") from error
    if PKIStatus(response.status) != PKIStatus.GRANTED:
        raise TimestampFailed(f"the timestamping authority refused (status {response.status})")
    imprint = response.tst_info.message_imprint.message
    if imprint != request.message_imprint.message or response.tst_info.nonce != request.nonce:
        raise TimestampFailed("the timestamp is not for this request")
    if not response.signed_data.certificates:
        raise TimestampFailed("the timestamp does not carry the authority's certificate")
    return body, response.tst_info.gen_time


def timestamp_verify(*, token: bytes, data: bytes, roots: list[x509.Certificate]) -> datetime:
    """The time of a timestamp response over `data`, after checking its signature up to one of `roots` and its
    imprint. Raises TimestampFailed otherwise."""
    try:
        response = decode_timestamp_response(token)
        verifier = VerifierBuilder()
        for root in roots:
            verifier = verifier.add_root_certificate(root)
        verifier.build().verify_message(response, data)
    except (ValueError, VerificationError) as error:
        raise TimestampFailed(str(error) or type(error).__name__) from error
    return response.tst_info.gen_time


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)
