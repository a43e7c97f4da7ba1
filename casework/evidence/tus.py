"""Resumable uploads over HTTP: the tus 1.0 protocol (core, creation, expiration and termination extensions),
for slow and unreliable links. A dropped connection keeps the bytes that arrived; the client asks where the
upload stands (HEAD) and sends the rest (PATCH). The finished file goes through the same intake service as
every other upload (services.media_ingest_resumable).

Only the person who created an upload can see, continue or remove it (anyone else gets 404), and only while
they may upload media to its case.
"""

import base64
import binascii

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api import api_case
from casework.cases import access
from casework.errors import Refused
from casework.evidence import services
from casework.evidence.api import MediaUploadSerializer
from casework.evidence.models import MediaItem, MediaSource
from casework.evidence.resumable import (
    OffsetMismatch,
    PartialUpload,
    UploadBusy,
    UploadTooLarge,
    upload_create,
    upload_find,
)
from casework.evidence.services import IngestResult

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,expiration,termination"
PATCH_CONTENT_TYPE = "application/offset+octet-stream"
METADATA_KEYS = {"filename", "source", "source_url", "description", "witness", "incidents"}


class OffsetStreamParser(BaseParser):
    """Declared so that PATCH bodies are accepted; the view reads the raw stream itself, in chunks."""

    media_type = PATCH_CONTENT_TYPE

    def parse(self, stream, media_type=None, parser_context=None):
        return {}


class ResumableUploadSerializer(MediaUploadSerializer):
    """The details of a resumable upload, from its Upload-Metadata header (each value base64-encoded)."""

    file = None
    filename = serializers.CharField(max_length=300, help_text="The file's name as sent (kept encrypted).")
    incidents = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Comma-separated references of incidents."
    )

    def validate_incidents(self, references: str) -> list[str]:
        wanted = [reference.strip() for reference in references.split(",") if reference.strip()]
        return [incident.reference for incident in super().validate_incidents(wanted)]

    def validate(self, attrs):
        if attrs.get("source") == MediaSource.SOCIAL_MEDIA and not attrs.get("source_url"):
            raise serializers.ValidationError(
                {"source_url": [_("Give the address of the post for social-media material.")]}
            )
        return attrs


def parse_metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs (a key alone means an empty value)."""
    values = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _space, encoded = pair.partition(" ")
        try:
            values[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Refused("Upload-Metadata values must be base64-encoded UTF-8.", field="Upload-Metadata") from None
    return values


def _tus_response(response: Response) -> Response:
    response["Tus-Resumable"] = TUS_VERSION
    response["Cache-Control"] = "no-store"
    return response


def _error(status_code: int, message: str) -> Response:
    return _tus_response(Response({"detail": message}, status=status_code))


def _header_int(request, name: str) -> int | None:
    value = request.headers.get(name, "")
    return int(value) if value.isascii() and value.isdigit() else None


class TusView(APIView):
    parser_classes = [OffsetStreamParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.case = api_case(request, kwargs["reference"], access.UPLOAD_MEDIA)

    def finalize_response(self, request, response, *args, **kwargs):
        return _tus_response(super().finalize_response(request, response, *args, **kwargs))

    def check_version(self, request) -> Response | None:
        if request.headers.get("Tus-Resumable") != TUS_VERSION:
            response = _error(status.HTTP_412_PRECONDITION_FAILED, f"Send Tus-Resumable: {TUS_VERSION}.")
            response["Tus-Version"] = TUS_VERSION
            return response
        return None

    def options(self, request, *args, **kwargs):
        response = Response(status=status.HTTP_204_NO_CONTENT)
        response["Tus-Version"] = TUS_VERSION
        response["Tus-Extension"] = TUS_EXTENSIONS
        response["Tus-Max-Size"] = str(settings.CASEWORK_MAX_UPLOAD_BYTES)
        return response


def _expires(upload: PartialUpload) -> str:
    return http_date(upload.expires_at.timestamp())


class ResumableUploadListView(TusView):
    """Start a resumable upload of one file to this case (tus 1.0 creation).

    Send `Tus-Resumable: 1.0.0`, `Upload-Length` (bytes) and `Upload-Metadata` with base64-encoded values:
    `filename` and `source` (required), `source_url`, `description`, `witness` (a pseudonym of this case) and
    `incidents` (comma-separated references). The answer's `Location` is the upload's address: send the bytes
    there with PATCH (`Content-Type: application/offset+octet-stream`, `Upload-Offset` = bytes already sent),
    ask HEAD where it stands after a dropped connection, DELETE to abandon it. When the last byte arrives the
    file is taken in like any other upload (SHA-256, exhibit number, custody record, processing); GET on the
    upload then gives the media item. Unfinished uploads expire (`Upload-Expires`) and are removed.
    """

    @extend_schema(
        operation_id="uploads_create",
        request=None,
        parameters=[
            OpenApiParameter("Tus-Resumable", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, enum=["1.0.0"]),
            OpenApiParameter("Upload-Length", OpenApiTypes.INT, OpenApiParameter.HEADER, required=True),
            OpenApiParameter(
                "Upload-Metadata",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="filename, source, source_url, description, witness, incidents; values base64.",
            ),
        ],
        responses={
            201: OpenApiResponse(description="Created; Location is the upload's address."),
            400: OpenApiResponse(description="Bad details (field errors)."),
            412: OpenApiResponse(description="Tus-Resumable missing or another version."),
            413: OpenApiResponse(description="Upload-Length is over the limit (Tus-Max-Size)."),
        },
    )
    def post(self, request, reference):
        refused = self.check_version(request)
        if refused:
            return refused
        length = _header_int(request, "Upload-Length")
        if length is None:
            return _error(status.HTTP_400_BAD_REQUEST, "Send Upload-Length (deferred lengths are not supported).")
        metadata = parse_metadata(request.headers.get("Upload-Metadata", ""))
        details = ResumableUploadSerializer(
            data={key: value for key, value in metadata.items() if key in METADATA_KEYS},
            case=self.case,
            context={"case": self.case, "request": request},
        )
        details.is_valid(raise_exception=True)
        data = details.validated_data
        try:
            upload = upload_create(
                case_id=self.case.pk,
                user_id=request.user.pk,
                length=length,
                filename=data["filename"],
                details={
                    "source": data["source"],
                    "source_url": data["source_url"],
                    "description": data["description"],
                    "witness": data["witness"].pseudonym if data["witness"] else "",
                    "incidents": data["incidents"],
                },
            )
        except UploadTooLarge as error:
            return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, error.message)
        response = Response(status=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(
            reverse("api:upload_detail", kwargs={"reference": reference, "upload_id": upload.token})
        )
        response["Upload-Expires"] = _expires(upload)
        return response


class ResumableUploadDetailView(TusView):
    """One resumable upload: HEAD (where it stands), PATCH (more bytes), DELETE (abandon it), GET (its state and,
    once complete, the media item). Only for the person who started it."""

    def get_upload(self, upload_id: str) -> PartialUpload:
        upload = upload_find(upload_id)
        if upload is None or upload.user_id != self.request.user.pk or upload.case_id != self.case.pk:
            raise NotFound("No such upload.")
        return upload

    def _where(self, upload: PartialUpload, response: Response) -> Response:
        response["Upload-Offset"] = str(upload.offset)
        response["Upload-Length"] = str(upload.length)
        response["Upload-Expires"] = _expires(upload)
        return response

    @extend_schema(
        operation_id="uploads_retrieve",
        responses={
            200: inline_serializer(
                "ResumableUploadState",
                {
                    "offset": serializers.IntegerField(),
                    "length": serializers.IntegerField(),
                    "complete": serializers.BooleanField(),
                    "created": serializers.BooleanField(
                        allow_null=True, help_text="False when the same file was already in the case."
                    ),
                    "message": serializers.CharField(allow_blank=True),
                    "item": serializers.DictField(allow_null=True, help_text="id, exhibit_number, sha256, url."),
                },
            )
        },
    )
    def get(self, request, reference, upload_id):
        upload = self.get_upload(upload_id)
        body = {
            "offset": upload.offset,
            "length": upload.length,
            "complete": upload.result is not None,
            "created": None,
            "message": "",
            "item": None,
        }
        if upload.result is not None:
            item = MediaItem.objects.filter(pk=upload.result["item_id"]).first()
            if item is not None:
                body["created"] = upload.result["created"]
                body["message"] = IngestResult(item, created=upload.result["created"]).message
                body["item"] = {
                    "id": item.pk,
                    "exhibit_number": item.exhibit_number,
                    "sha256": item.sha256,
                    "url": request.build_absolute_uri(
                        reverse("api:media_detail", kwargs={"reference": reference, "item_id": item.pk})
                    ),
                }
        return self._where(upload, Response(body))

    @extend_schema(operation_id="uploads_offset", responses={200: OpenApiResponse(description="Upload-Offset.")})
    def head(self, request, reference, upload_id):
        refused = self.check_version(request)
        if refused:
            return refused
        return self._where(self.get_upload(upload_id), Response(status=status.HTTP_200_OK))

    @extend_schema(
        operation_id="uploads_append",
        request={PATCH_CONTENT_TYPE: OpenApiTypes.BINARY},
        parameters=[
            OpenApiParameter("Tus-Resumable", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True, enum=["1.0.0"]),
            OpenApiParameter("Upload-Offset", OpenApiTypes.INT, OpenApiParameter.HEADER, required=True),
        ],
        responses={
            204: OpenApiResponse(description="Stored; Upload-Offset is the new offset. At the end, taken in."),
            400: OpenApiResponse(description="Intake refused the finished file (it is then removed)."),
            404: OpenApiResponse(description="No such upload (or expired, or someone else's)."),
            409: OpenApiResponse(description="Upload-Offset is not where the upload stands: ask with HEAD."),
            413: OpenApiResponse(description="More bytes than Upload-Length."),
            415: OpenApiResponse(description="Content-Type is not application/offset+octet-stream."),
        },
    )
    def patch(self, request, reference, upload_id):
        refused = self.check_version(request)
        if refused:
            return refused
        upload = self.get_upload(upload_id)
        if request.content_type.split(";")[0].strip() != PATCH_CONTENT_TYPE:
            return _error(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, f"Send Content-Type: {PATCH_CONTENT_TYPE}.")
        offset = _header_int(request, "Upload-Offset")
        if offset is None:
            return _error(status.HTTP_400_BAD_REQUEST, "Send Upload-Offset.")
        content_length = _header_int(request, "Content-Length") or 0
        try:
            with upload.locked():
                was_complete = upload.result is not None
                # The raw WSGI stream, read in chunks: the body is never held in memory or parsed.
                new_offset = upload.append(request._request, offset=offset, content_length=content_length)
                if new_offset == upload.length and not was_complete:
                    self._complete(request, upload)
        except OffsetMismatch as error:
            return self._where(upload, _error(status.HTTP_409_CONFLICT, error.message))
        except UploadBusy as error:
            return _error(status.HTTP_423_LOCKED, error.message)
        except UploadTooLarge as error:
            return _error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, error.message)
        except DjangoPermissionDenied:
            raise PermissionDenied from None
        return self._where(upload, Response(status=status.HTTP_204_NO_CONTENT))

    def _complete(self, request, upload: PartialUpload) -> None:
        name = upload.original_filename
        result = services.media_ingest_resumable(upload=upload, actor=request.user)
        if isinstance(request.successful_authenticator, SessionAuthentication):
            # The page the browser opens next says what became of each file, as after a plain upload (a refusal
            # is the PATCH's answer, which the page's client shows at once).
            level = messages.SUCCESS if result.created else messages.WARNING
            messages.add_message(request._request, level, f"{name}: {result.message}")

    @extend_schema(operation_id="uploads_destroy", responses={204: None})
    def delete(self, request, reference, upload_id):
        refused = self.check_version(request)
        if refused:
            return refused
        upload = self.get_upload(upload_id)
        try:
            with upload.locked():
                upload.remove()
        except UploadBusy as error:
            return _error(status.HTTP_423_LOCKED, error.message)
        return Response(status=status.HTTP_204_NO_CONTENT)
