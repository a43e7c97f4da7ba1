// Record pickers (casework/web/pickers.py): search the case's records as one types and tick the one picked.
// Without this file the text box still works: the form reads the references typed into it.
document.querySelectorAll(".picker[data-picker-url]").forEach((picker) => {
  const input = picker.querySelector("input[type=text]");
  const chosen = picker.querySelector(".picker-chosen");
  const status = picker.querySelector(".picker-status");
  const multiple = picker.hasAttribute("data-picker-multiple");
  const list = document.createElement("ul");
  list.id = `${input.id}_results`;
  list.className = "picker-results";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.after(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  let results = [];
  let active = -1;
  let timer = null;
  let controller = null;

  const close = () => {
    list.hidden = true;
    list.replaceChildren();
    results = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  };

  const highlight = (index) => {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, position) => {
      option.setAttribute("aria-selected", position === index ? "true" : "false");
      if (position === index) {
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      }
    });
  };

  const pick = (record) => {
    if (!multiple) chosen.replaceChildren();
    if (!chosen.querySelector(`input[value="${record.id}"]`)) {
      const item = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = picker.dataset.pickerName;
      box.value = String(record.id);
      box.dataset.key = record.key;
      box.checked = true;
      const text = document.createElement("bdi");
      text.textContent = record.label;
      label.append(box, " ", text);
      item.append(label);
      chosen.append(item);
    }
    input.value = "";
    close();
    status.textContent = record.label;
    input.focus();
  };

  const show = (records) => {
    close();
    results = records;
    records.forEach((record, index) => {
      const option = document.createElement("li");
      option.id = `${list.id}_${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      const text = document.createElement("bdi");
      text.textContent = record.label;
      option.append(text);
      // mousedown, not click: the text box would lose focus (and close the list) before a click lands.
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        pick(record);
      });
      list.append(option);
    });
    if (records.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = picker.dataset.results.replace("%(count)s", String(records.length));
    } else {
      status.textContent = picker.dataset.noMatch;
    }
  };

  const search = async () => {
    controller?.abort();
    controller = new AbortController();
    const url = new URL(picker.dataset.pickerUrl, window.location.href);
    url.searchParams.set("q", input.value);
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(String(response.status));
      show((await response.json()).results);
    } catch (error) {
      if (error.name !== "AbortError") status.textContent = picker.dataset.unavailable;
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) {
        search();
        return;
      }
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + results.length) % results.length);
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      pick(results[active]);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
});
