// Prepares pages with saved ipywidgets state for the widget manager (embed-amd.js), which loads
// right after this file; _config.yml lists both under `nb_ipywidgets_js`.
(function () {
  // The manager fetches its icon fonts from the folder of its require.js module path, which by
  // default is below the page's own folder; point it at the vendored copy beside this file.
  var managerFolder = new URL("vendor/html-manager", document.currentScript.src).href;
  window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": managerFolder } });

  // ipywidgets 8 typesets widget labels with the MathJax 2 API (MathJax.Hub.Queue), and throws
  // under the book's MathJax 3. The manager renders on "load", after this listener runs.
  window.addEventListener("load", function () {
    var mathjax = window.MathJax;
    if (mathjax && mathjax.startup && !mathjax.Hub) {
      mathjax.Hub = {
        Queue: function (command) {
          var element = command[2];
          return mathjax.startup.promise.then(function () {
            return mathjax.typesetPromise([element]);
          });
        },
      };
    }
    new MutationObserver(repairWidgetLabels).observe(document.body, { childList: true, subtree: true });
  });

  // ipywidgets gives a slider's handle (role="slider") no accessible name: name it after the
  // slider's visible description. A widget without a tooltip shows the tooltip "null". And an
  // Image widget can carry its description only as a title: make that its alt text too.
  var labelCount = 0;
  function repairWidgetLabels() {
    document.querySelectorAll(".jupyter-widgets [title='null']").forEach(function (element) {
      element.removeAttribute("title");
    });
    document.querySelectorAll(".widget-slider [role='slider']:not([aria-label]):not([aria-labelledby])")
      .forEach(function (handle) {
        var label = handle.closest(".widget-slider").querySelector(".widget-label");
        if (label && label.textContent.trim()) {
          label.id = label.id || "jupyter-widget-label-" + ++labelCount;
          handle.setAttribute("aria-labelledby", label.id);
        }
      });
    document.querySelectorAll(".jupyter-widgets img[title]:not([alt])").forEach(function (image) {
      image.setAttribute("alt", image.getAttribute("title"));
    });
  }
})();
