// The parts of Apache ECharts that kvplot's pages use, and nothing else.
// internal/charts is the only source of chart options: when it starts to
// use another series type or component, add it here and rebuild
// (scripts/echarts/build.sh).
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import {
  GridComponent,
  LegendScrollComponent,
  MarkLineComponent,
  TitleComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
} from 'echarts/components';
// SVG draws the pages; canvas makes the PNGs of kvplot snapshot.
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
// The toolbox with only its save-as-image button: ECharts' own
// ToolboxComponent also installs data zoom, data view and magic type.
import ToolboxModel from 'echarts/lib/component/toolbox/ToolboxModel.js';
import ToolboxView from 'echarts/lib/component/toolbox/ToolboxView.js';
import { registerFeature } from 'echarts/lib/component/toolbox/featureManager.js';
import SaveAsImage from 'echarts/lib/component/toolbox/feature/SaveAsImage.js';

function ToolboxSaveAsImage(registers) {
  registers.registerComponentModel(ToolboxModel);
  registers.registerComponentView(ToolboxView);
  registerFeature('saveAsImage', SaveAsImage);
}

echarts.use([
  BarChart,
  HeatmapChart,
  LineChart,
  GridComponent,
  LegendScrollComponent,
  MarkLineComponent,
  TitleComponent,
  ToolboxSaveAsImage,
  TooltipComponent,
  VisualMapContinuousComponent,
  CanvasRenderer,
  SVGRenderer,
]);

// The pages call echarts.init, echarts.getInstanceByDom and
// echarts.format.encodeHTML on the global, as with the full build.
window.echarts = echarts;
