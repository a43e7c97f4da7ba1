"""The safety of every fetch: schemes, addresses (checked per hop), size and time limits, reasons."""

import ipaddress
import time

import pytest

from casework.captures.fetching import (
    FetchFailure,
    FetchPolicy,
    FetchRefused,
    address_refused,
    check_url,
    open_following,
    resolve_checked,
)


def _policy(**overrides):
    options = {"max_bytes": 10 * 1024 * 1024, "seconds": 10, "allow_loopback": True} | overrides
    return FetchPolicy.starting_now(**options)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "2002:a00:1::",
        "ff02::1",
    ],
)
def test_private_local_metadata_multicast_and_reserved_addresses_are_refused(address):
    assert address_refused(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert not address_refused(ipaddress.ip_address(address))


def test_the_loopback_setting_lets_loopback_through_and_nothing_else():
    assert not address_refused(ipaddress.ip_address("127.0.0.1"), allow_loopback=True)
    assert not address_refused(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True)
    assert address_refused(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)
    assert address_refused(ipaddress.ip_address("169.254.169.254"), allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/x",
        "gopher://x",
        "javascript:alert(1)",
        "http://",
        "http://u:p@example.org/",
    ],
)
def test_only_http_and_https_addresses_are_fetched(url):
    with pytest.raises(FetchRefused) as refused:
        check_url(url)
    assert refused.value.reason == FetchFailure.UNSUPPORTED


def test_a_name_resolving_to_loopback_is_refused_without_the_test_setting():
    with pytest.raises(FetchRefused) as refused:
        resolve_checked("localhost", 80, policy=_policy(allow_loopback=False))
    assert refused.value.reason == FetchFailure.REFUSED_ADDRESS


def test_a_page_is_fetched_with_its_final_url_status_headers_and_address(web):
    response, hops = open_following(f"{web.base}/redirect-page", policy=_policy())
    body = response.read()
    assert response.status == 200
    assert response.url == f"{web.base}/page"
    assert response.hop.address == "127.0.0.1"
    assert response.header("Content-Type").startswith("text/html")
    assert b"Shelling of the market" in body
    assert [hop.status for hop in hops] == [302, 200]


def test_a_redirect_to_the_metadata_address_is_refused_at_that_hop(web):
    with pytest.raises(FetchRefused) as refused:
        open_following(f"{web.base}/redirect-private", policy=_policy())
    assert refused.value.reason == FetchFailure.REFUSED_ADDRESS
    assert "169.254.169.254" in refused.value.detail


def test_a_missing_page_answers_with_its_status(web):
    response, _hops = open_following(f"{web.base}/missing", policy=_policy())
    assert response.status == 404


def test_a_declared_size_past_the_limit_is_refused_before_the_body(web):
    with pytest.raises(FetchRefused) as refused:
        open_following(f"{web.base}/huge", policy=_policy(max_bytes=1024 * 1024))
    assert refused.value.reason == FetchFailure.TOO_LARGE


def test_a_body_past_the_limit_is_refused_while_reading(web):
    response, _hops = open_following(f"{web.base}/video.mp4", policy=_policy(max_bytes=10_000_000))
    response._policy = FetchPolicy.starting_now(max_bytes=1000, seconds=10, allow_loopback=True)
    with pytest.raises(FetchRefused) as refused:
        response.read()
    assert refused.value.reason == FetchFailure.TOO_LARGE


def test_a_slow_source_times_out_at_the_deadline(web):
    web.slow_seconds = 5
    started = time.monotonic()
    response, _hops = open_following(f"{web.base}/slow", policy=_policy(seconds=1))
    with pytest.raises(FetchRefused) as refused:
        response.read()
    assert refused.value.reason == FetchFailure.TIMED_OUT
    assert time.monotonic() - started < 3


def test_every_fetch_failure_is_a_capture_failure_reason_with_its_label_and_an_explanation():
    from casework.captures.fetching import describe
    from casework.captures.models import FailureReason

    reasons = [value for name, value in vars(FetchFailure).items() if name.isupper()]
    assert reasons and set(reasons) <= set(FailureReason.values)
    assert str(FailureReason(FetchFailure.REFUSED_ADDRESS).label) == "Refused address"
    assert describe(FetchFailure.REFUSED_ADDRESS) == (
        "Refused address: it leads to a private or local network address."
    )
    for reason in reasons:
        assert describe(reason) != reason, reason
