// Loaded before RequireJS and the widget manager on pages that hold widgets.
// 1. Icon fonts and lazily loaded chunks of the manager resolve against this folder, not the page.
// 2. Any widget module the manager cannot find in its bundle is looked up in the book's own
//    _static/vendor/npm/ folder (a local 404 at worst), never on a CDN.
// 3. The manager typesets widget labels with MathJax 2's Hub.Queue; MathJax 3 has no Hub, so
//    every object ever assigned to window.MathJax gets a hidden Hub that forwards to MathJax 3.
(function () {
  var me = document.currentScript;
  var base = me.src.substring(0, me.src.lastIndexOf("/") + 1);
  window.__jupyter_widgets_assets_path__ = base + "html-manager/dist/";
  me.setAttribute("data-jupyter-widgets-cdn", base + "npm/");
  // Each bundled module takes its asset URL from the folder RequireJS resolves its name to; without
  // these paths that folder is relative to the page, and the icon fonts 404. A global `require`
  // defined before RequireJS loads is read by it as its configuration.
  var dist = base + "html-manager/dist/";
  window.require = {
    paths: {
      "@jupyter-widgets/base": dist + "base",
      "@jupyter-widgets/controls": dist + "controls",
      "@jupyter-widgets/output": dist + "output",
      "@jupyter-widgets/html-manager": dist + "html-manager",
      "@jupyter-widgets/html-manager/dist/libembed-amd": dist + "libembed-amd"
    }
  };

  function addHub(mj) {
    if (!mj || typeof mj !== "object" || mj.Hub) return;
    Object.defineProperty(mj, "Hub", {
      enumerable: false,
      configurable: true,
      value: {
        Queue: function (job) {
          var element = job && job[2];
          var current = window.MathJax;
          if (current && current.typesetPromise) {
            return current.typesetPromise(element ? [element] : undefined);
          }
          if (current && current.startup && current.startup.promise) {
            return current.startup.promise.then(function () {
              return window.MathJax.typesetPromise(element ? [element] : undefined);
            });
          }
        }
      }
    });
  }
  var value = window.MathJax;
  addHub(value);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return value; },
    set: function (next) { value = next; addHub(next); }
  });
})();
