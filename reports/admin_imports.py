"""The admin's bulk import: read within bounds, previewed, then imported exactly as previewed.

django-import-export's import view does the preview. What this adds (`uploads.py` holds the
files and the signed confirmation):
- the file is read within the bounds of a valid import, and a refusal says why in plain words;
- the uploaded file waits in a private folder; a preview that cannot be confirmed removes it;
- the confirmation names the file only in a signed token bound to the user and session, with
  the versions of the reports the preview read: a confirmation from elsewhere, an old one, or
  one made before a report changed imports nothing, and says so;
- the file is checked again when confirmed, and a confirmation that writes nothing says why
  instead of "Import finished".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export.admin import ImportExportMixin
from import_export.results import Result

from . import uploads
from .import_forms import FigureImportForm, check_import_file
from .uploads import BoundedCSV, BoundedXLSX, Confirmation, ImportRefused, PrivateUploadStorage

if TYPE_CHECKING:
    from django.contrib.admin.sites import AdminSite


class ConfirmImportForm(forms.Form):
    """The confirmation step's only field: the signed token that names what was previewed."""

    confirmation = forms.CharField(widget=forms.HiddenInput())


class CheckedImportMixin(ImportExportMixin):
    """django-import-export's admin import, bounded and bound to its preview."""

    import_form_class = FigureImportForm
    confirm_form_class = ConfirmImportForm
    tmp_storage_class = PrivateUploadStorage
    import_formats = [BoundedCSV, BoundedXLSX]
    if TYPE_CHECKING:  # given by the ModelAdmin this is mixed into
        admin_site: AdminSite
        media: forms.Media

    # --- the preview -------------------------------------------------------------------------

    def import_action(self, request: HttpRequest, **kwargs: Any) -> TemplateResponse:
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if request.method == "POST" and not context.get("confirm_form"):
            # Refused, or unreadable: nothing can confirm it, so it does not wait. (The upload
            # is named on the file object: a refusal removes it from the form's data.)
            name = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
            if name:
                PrivateUploadStorage(name=name).remove()
        return response

    def add_data_read_fail_error_to_form(self, form: forms.Form, e: Exception) -> None:
        if isinstance(e, ImportRefused):
            form.add_error("import_file", str(e))
        else:
            form.add_error(
                "import_file",
                "The file could not be read. Check that it is the CSV or Excel workbook the "
                "format says, with the columns named on the first line.",
            )

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        resource_kwargs = super().get_import_resource_kwargs(request, **kwargs)
        resource_kwargs.pop("form", None)
        confirmation = getattr(request, "import_confirmation", None)
        if confirmation is not None:
            resource_kwargs["versions_expected"] = confirmation.versions
        else:
            # The preview records here what it read, for the confirmation to sign.
            request.import_versions = resource_kwargs["versions_seen"] = {}  # type: ignore[attr-defined]
        return resource_kwargs

    def get_confirm_form_initial(
        self, request: HttpRequest, import_form: forms.Form | None
    ) -> dict[str, Any]:
        if import_form is None:
            return {}
        upload = import_form.cleaned_data["import_file"]
        confirmation = Confirmation(
            file=upload.tmp_storage_name,
            original_name=upload.name,
            format=int(import_form.cleaned_data["format"]),
            resource=self.get_resource_index(import_form),
            versions=getattr(request, "import_versions", {}),
        )
        return {"confirmation": uploads.sign(request, confirmation)}

    # --- the confirmation --------------------------------------------------------------------

    @method_decorator(require_POST)
    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Import the previewed file, as previewed, or nothing and say why."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ConfirmImportForm(request.POST)
        try:
            if not form.is_valid():
                raise ImportRefused("The confirmation is missing. Upload the file again.")
            confirmation = uploads.unsign(request, form.cleaned_data["confirmation"])
            result = self._import_confirmed(request, confirmation)
        except ImportRefused as refused:
            return self._refused(request, str(refused), status=400)
        if result.has_errors() or result.has_validation_errors():
            return self._refused(
                request,
                "Nothing was imported. The problems are listed below: fix them and upload the "
                "file again.",
                result=result,
                status=409,
            )
        return self.process_result(result, request)

    def add_success_message(self, result: Result, request: HttpRequest) -> None:
        totals = result.totals
        if totals["new"] + totals["update"] == 0:
            messages.info(
                request,
                "Nothing was changed: every figure in the file is already held as it is "
                f"({totals['skip']} in all).",
            )
        else:
            super().add_success_message(result, request)

    def _import_confirmed(self, request: HttpRequest, confirmation: Confirmation) -> Result:
        formats = self.get_import_formats()
        resources = self.get_import_resource_classes(request)
        if not (0 <= confirmation.format < len(formats)) or not (
            0 <= confirmation.resource < len(resources)
        ):
            raise ImportRefused("The import's format has changed. Upload the file again.")
        storage = PrivateUploadStorage(name=confirmation.file, read_mode="rb")
        try:
            data = storage.read_bytes()
            try:
                check_import_file(confirmation.original_name, len(data), data[:4096])
            except ValidationError as error:
                raise ImportRefused(" ".join(error.messages)) from None
            # The stubs say get_import_formats() gives formats; it gives their classes.
            file_format = formats[confirmation.format]()  # type: ignore[operator]
            dataset = file_format.create_dataset(data if file_format.is_binary() else _text(data))
            request.import_confirmation = confirmation  # type: ignore[attr-defined]
            resource = resources[confirmation.resource](**self.get_import_resource_kwargs(request))
            return resource.import_data(
                dataset,
                dry_run=False,
                raise_errors=False,
                file_name=confirmation.original_name,
                user=request.user,
                retain_instance_in_row_result=True,
                **self.get_import_data_kwargs(request=request),
            )
        finally:
            storage.remove()  # confirmed or refused, it is never imported twice

    def _refused(
        self, request: HttpRequest, message: str, *, status: int, result: Result | None = None
    ) -> HttpResponse:
        """The import page again, unbound, saying why nothing was imported."""
        messages.error(request, message)
        resources = self.get_import_resource_classes(request)
        # The stubs say a plain Form; it is the ImportForm, which takes formats and resources.
        form = self.get_import_form_class(request)(
            self.get_import_formats(),  # type: ignore[arg-type]
            resources,  # type: ignore[arg-type]
            initial=self.get_import_form_initial(request),
        )
        context = {
            **self.admin_site.each_context(request),
            **self.get_import_context_data(),
            "title": "Import",
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "result": result,
            "import_error_display": self.import_error_display,
            "fields_list": [
                (
                    # Ours are ModelResources, which have get_display_name; the stubs say
                    # get_user_visible_fields() returns names, but it returns Fields.
                    resource.get_display_name(),  # type: ignore[attr-defined]
                    [field.column_name for field in resource().get_user_visible_fields()],  # type: ignore[attr-defined]
                )
                for resource in resources
            ],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context, status=status)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            "The CSV file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
        ) from None
