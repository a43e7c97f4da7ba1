"""CSV import of incidents and victims through the API: a dry run by default, all or nothing when committed."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api import api_case
from casework.cases import access
from casework.incidents import tabular


class VictimsImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV (UTF-8, BOM optional), one row per victim with the incident's columns on each row; "
        f"header row required. Columns: {', '.join(tabular.COLUMNS)}. The attribution columns give one party held "
        "responsible per row (an incident held on several parties lists each on a row of its own)."
    )
    commit = serializers.BooleanField(
        default=False, help_text="false (default): only check the file. true: write it, if it has no problem."
    )
    allow_reimport = serializers.BooleanField(
        default=False,
        help_text="A file (the same bytes) already imported into the case is refused, because its victims would "
        "be counted twice; true: import it again anyway. Without it, the dry run reports the earlier imports as a "
        "problem in the column allow_reimport.",
    )
    source = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        help_text="Who reported the victims of this file (a hospital list, a partner's spreadsheet): kept on each "
        "victim whose source cell is blank.",
    )


class ImportProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row number as a spreadsheet shows it (header = 1; 0 = whole file).")
    column = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class EarlierImportSerializer(serializers.Serializer):
    imported_at = serializers.DateTimeField()
    imported_by = serializers.CharField(help_text="Who imported it, with their role on the case.")
    file_name = serializers.CharField(allow_blank=True)
    victims_added = serializers.IntegerField()


class VictimsImportReportSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    committed = serializers.BooleanField(help_text="True only if the file was written.")
    rows = serializers.IntegerField(help_text="Data rows read (the header not counted).")
    incidents_created = serializers.ListField(
        child=serializers.CharField(), help_text="References of the incidents created (or that would be)."
    )
    incidents_extended = serializers.ListField(
        child=serializers.CharField(), help_text="References of existing incidents that get victims."
    )
    victims_added = serializers.IntegerField()
    attributions_added = serializers.IntegerField(help_text="Attributions of the new incidents.")
    sha256 = serializers.CharField(allow_blank=True, help_text="SHA-256 of the file's bytes.")
    imported_before = EarlierImportSerializer(
        many=True, help_text="Earlier imports of the same file into this case, newest first."
    )
    problems = ImportProblemSerializer(many=True)


class VictimsImportView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="victims_import",
        summary="Import incidents and victims from CSV",
        description="Checks the whole file and reports every problem with its row and column. With commit=true "
        "and no problem, writes everything in one transaction (nothing at all otherwise). A file already imported "
        "into the case needs allow_reimport=true. Needs the right to edit the case's records.",
        request=VictimsImportRequestSerializer,
        responses={
            200: VictimsImportReportSerializer,
            201: VictimsImportReportSerializer,
            400: VictimsImportReportSerializer,
        },
    )
    def post(self, request, reference: str):
        case = api_case(request, reference, access.EDIT_RECORDS)
        serializer = VictimsImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        file, commit = serializer.validated_data["file"], serializer.validated_data["commit"]
        allow_reimport = serializer.validated_data["allow_reimport"]
        if commit:
            report = tabular.victims_csv_import(
                case,
                file,
                request.user,
                file_name=file.name or "",
                allow_reimport=allow_reimport,
                source=serializer.validated_data["source"],
            )
        else:
            report = tabular.victims_csv_check(case, file, allow_reimport=allow_reimport)
        if not report.is_valid:
            response_status = status.HTTP_400_BAD_REQUEST
        else:
            response_status = status.HTTP_201_CREATED if report.committed else status.HTTP_200_OK
        return Response(VictimsImportReportSerializer(report.as_dict()).data, status=response_status)
