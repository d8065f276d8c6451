// The explorer's chart (kpi/explore/chart.py): a Plotly figure drawn from the widget's `figure`, redrawn
// in place with Plotly.react when it changes. plotly.js is loaded once per page, shared by every chart (not
// 5 MB inside every chart's model as FigureWidget carries it): from `plotly_url` where the server serves it
// (make explore: a script the browser caches), else from the kernel (JupyterLab).
function plotly(model) {
  if (!globalThis.kpiPlotly) {
    const url = model.get("plotly_url");
    globalThis.kpiPlotly = url ? fromUrl(url, model) : fromKernel(model);
  }
  return globalThis.kpiPlotly;
}

function fromUrl(url, model) {
  if (globalThis.Plotly) return Promise.resolve(globalThis.Plotly);
  return new Promise((resolve) => {
    let script = document.getElementById("kpi-plotly"); // the page's own (notebooks/voila/templates/offline)
    if (!script) {
      script = Object.assign(document.createElement("script"), { id: "kpi-plotly", src: url });
      document.head.appendChild(script);
    }
    const loaded = () => resolve(globalThis.Plotly || fromKernel(model)); // an AMD loader would keep it
    if (script.dataset.state === "loaded") return loaded();
    if (script.dataset.state === "failed") return resolve(fromKernel(model));
    script.addEventListener("load", loaded);
    script.addEventListener("error", () => resolve(fromKernel(model)));
  });
}

function fromKernel(model) {
  return new Promise((resolve) => {
      const receive = (message) => {
        if (!message || !message.plotly_js) return;
        model.off("msg:custom", receive);
        const module = { exports: {} }; // plotly.min.js is UMD: given a module, it fills it and sets no global
        new Function("module", "exports", "define", message.plotly_js)(module, module.exports, undefined);
        resolve(module.exports);
      };
      model.on("msg:custom", receive);
      model.send({ want: "plotly_js" });
  });
}

function withSvg(Plotly, config) {
  const image = config.toImageButtonOptions || {};
  const svg = {
    name: "下载图片（SVG，含标题）",
    icon: Plotly.Icons.disk,
    click: (chart) => Plotly.downloadImage(chart, { ...image, format: "svg" }),
  };
  return { ...config, modeBarButtonsToAdd: [svg] };
}

async function render({ model, el }) {
  const Plotly = await plotly(model);
  const chart = document.createElement("div");
  el.appendChild(chart);
  const draw = () => {
    const figure = model.get("figure") || {};
    return Plotly.react(chart, figure.data || [], figure.layout || {}, withSvg(Plotly, model.get("config") || {}));
  };
  await draw();
  model.on("change:figure", draw);
  chart.on("plotly_click", (event) => {
    const point = event.points[0];
    model.set("clicked", { x: String(point.x), trace: point.data.name || "", at: Date.now() });
    model.save_changes();
  });
  const resize = new ResizeObserver(() => Plotly.Plots.resize(chart));
  resize.observe(el);
  return () => {
    resize.disconnect();
    model.off("change:figure", draw);
    Plotly.purge(chart);
  };
}

export default { render };
