{
  "animation": false,
  "color": [
    "#f28e2b",
    "#123456"
  ],
  "grid": [
    {
      "left": "16",
      "top": "76",
      "right": "28",
      "bottom": "64",
      "containLabel": true
    }
  ],
  "legend": {
    "type": "scroll",
    "left": "center",
    "bottom": "4"
  },
  "series": [
    {
      "name": "Llama-3-8B",
      "type": "line",
      "showSymbol": true,
      "symbol": "circle",
      "symbolSize": 7,
      "data": [
        0.125,
        0.25,
        0.5
      ],
      "animation": false,
      "markLine": {
        "data": [
          {
            "name": "L4 budget",
            "yAxis": 6.2,
            "lineStyle": {
              "color": "#b22222",
              "width": 1.5,
              "type": "dashed"
            },
            "label": {
              "show": true,
              "color": "#b22222",
              "backgroundColor": "rgba(255,255,255,0.85)",
              "formatter": "L4 budget"
            }
          }
        ],
        "symbol": [
          "none",
          "none"
        ],
        "label": {
          "show": true,
          "position": "insideStartTop",
          "formatter": "{b}"
        },
        "emphasis": {
          "label": {
            "show": true,
            "formatter": function (p) { return p.name + ': ' + (function (v) { if (v == null || v === '' || isNaN(v)) { return 'n/a'; } v = +v; var s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(3)); return s + ' GiB'; })(p.value); }
          }
        }
      },
      "lineStyle": {
        "width": 2
      }
    },
    {
      "name": "Llama-3-70B",
      "type": "line",
      "showSymbol": true,
      "symbol": "rect",
      "symbolSize": 7,
      "data": [
        0.3125,
        null,
        1.25
      ],
      "animation": false,
      "lineStyle": {
        "width": 2
      }
    }
  ],
  "title": {
    "text": "KV cache",
    "textStyle": {
      "fontSize": 16
    },
    "subtext": "fp16, batch 1",
    "left": "8",
    "top": "4"
  },
  "toolbox": {
    "show": true,
    "top": "4",
    "right": "12",
    "feature": {
      "saveAsImage": {
        "show": true,
        "type": "png",
        "name": "kvLine",
        "title": "Save as image"
      }
    }
  },
  "tooltip": {
    "trigger": "axis",
    "valueFormatter": function (v) { return echarts.format.encodeHTML((function (v) { if (v == null || v === '' || isNaN(v)) { return 'n/a'; } v = +v; var s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(3)); return s + ' GiB'; })(v)); },
    "confine": true,
    "extraCssText": "max-width:min(90vw,560px);white-space:normal;overflow-wrap:anywhere"
  },
  "xAxis": [
    {
      "type": "category",
      "name": "context",
      "nameLocation": "middle",
      "nameGap": 28,
      "data": [
        "1K",
        "2K",
        "4K"
      ],
      "axisTick": {
        "alignWithLabel": true
      }
    }
  ],
  "yAxis": [
    {
      "name": "KV cache (GiB)",
      "type": "value",
      "max": 8,
      "nameTextStyle": {
        "align": "left"
      }
    }
  ]
}
