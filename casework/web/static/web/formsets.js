// "Add a row" for Django inline formsets: clone the empty form, renumber __prefix__, bump TOTAL_FORMS.
document.querySelectorAll("fieldset.formset").forEach((fieldset) => {
  const prefix = fieldset.dataset.prefix;
  const total = fieldset.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
  const template = fieldset.querySelector("template.formset-empty");
  fieldset.querySelector(".formset-add").addEventListener("click", () => {
    const index = Number(total.value);
    const html = template.innerHTML.replaceAll("__prefix__", String(index));
    fieldset.querySelector(".formset-rows").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const rows = fieldset.querySelectorAll(".formset-row");
    rows[rows.length - 1].querySelector("input, select, textarea")?.focus();
  });
});
