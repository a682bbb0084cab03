// XueJi's additions to the bpmn-js modeler (which the page loads from node_modules/bpmn-js/dist): the
// spiffworkflow moddle descriptor, the Chinese translation, the properties panel, the problems on the canvas and
// 试走 (the token simulation).
// Built by `make setup` (esbuild) into webapp/static/build/editor.js, which is not committed.
import descriptor from "./spiffworkflow.json";
import PropertiesPanel from "./panel.js";
import Problems from "./problems.js";
import Simulation from "./simulation.js";
import translateModule from "./translate.js";

window.XueJiEditor = {
  moddleExtensions: { spiffworkflow: descriptor },
  additionalModules: [
    translateModule,
    {
      __init__: ["xuejiPanel", "xuejiProblems", "xuejiSimulation"],
      xuejiPanel: ["type", PropertiesPanel],
      xuejiProblems: ["type", Problems],
      xuejiSimulation: ["type", Simulation],
    },
  ],
};
