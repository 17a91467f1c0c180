// A page of the website prints on light paper whatever the reader's dark mode: the theme's light
// colours while the browser prints, the reader's own again afterwards. (book/_static/print.css
// lays the page out for paper; `make pdf` sets the light theme itself, scripts/print_pdf.js.)
(() => {
  const root = document.documentElement;
  let screenTheme = null;
  addEventListener("beforeprint", () => {
    screenTheme = root.dataset.theme;
    root.dataset.theme = "light";
  });
  addEventListener("afterprint", () => {
    if (screenTheme) root.dataset.theme = screenTheme;
  });
})();
