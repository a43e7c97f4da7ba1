// On every page. The language menu applies a choice at once; without scripts its button does.
document.getElementById("language-select")?.addEventListener("change", (event) => {
  event.currentTarget.form.submit();
});
