// XueJi's additions to the bpmn-js modeler (which the page loads from node_modules/bpmn-js/dist): the
// spiffworkflow moddle descriptor, the Chinese translation, the properties panel and the problems on the canvas.
// Built by `make setup` (esbuild) into webapp/static/build/editor.js, which is not committed.
import descriptor from "./spiffworkflow.json";
import PropertiesPanel from "./panel.js";
import Problems from "./problems.js";
import translateModule from "./translate.js";

window.XueJiEditor = {
  moddleExtensions: { spiffworkflow: descriptor },
  additionalModules: [
    translateModule,
    { __init__: ["xuejiPanel", "xuejiProblems"], xuejiPanel: ["type", PropertiesPanel], xuejiProblems: ["type", Problems] },
  ],
};
