// Example Corp intranet: marks the navigation link of the current page. Nothing else.
document.addEventListener("DOMContentLoaded", () => {
  for (const a of document.querySelectorAll("header nav a")) {
    if (a.getAttribute("href") === location.pathname) a.classList.add("current");
  }
});
