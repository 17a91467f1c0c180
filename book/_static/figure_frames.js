// A figure frame that scrolls sideways (course.css, on a narrow screen) can be scrolled with the
// keyboard: it is a tab stop while it scrolls, and only then, as the theme does for code blocks
// and tables.
(() => {
  const update = () => {
    for (const frame of document.querySelectorAll(".figure-frame")) {
      frame.tabIndex = frame.scrollWidth > frame.clientWidth ? 0 : -1;
    }
  };
  let timer = null;
  const later = () => { clearTimeout(timer); timer = setTimeout(update, 300); };
  window.addEventListener("resize", later);
  window.addEventListener("load", update);
  if (document.readyState !== "loading") update();
  else document.addEventListener("DOMContentLoaded", update);
})();
