// Media in the page: graphic content and the players of originals.

// Graphic content stays blurred until the person chooses to look. The original of a graphic item is not even
// fetched before (its address waits in data-src), so no view of it is recorded until then.
document.querySelectorAll("[data-graphic]").forEach((wrapper) => {
  const button = wrapper.querySelector(".reveal");
  if (!button) return;
  button.addEventListener("click", () => {
    wrapper.querySelectorAll("[data-src]").forEach((element) => {
      element.src = element.dataset.src;
      element.removeAttribute("data-src");
    });
    wrapper.querySelectorAll(".blurred").forEach((element) => element.classList.remove("blurred"));
    // The keyframes of the same item are shown with it.
    wrapper.closest("figure")?.querySelectorAll(".blurred-strip").forEach((strip) => {
      strip.classList.remove("blurred-strip");
    });
    wrapper.classList.add("revealed");
    button.remove();
    wrapper.querySelector("video, audio")?.focus();
  });
});
