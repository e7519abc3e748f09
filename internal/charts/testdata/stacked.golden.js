{
  "animation": false,
  "color": [
    "#2b5c8a",
    "#e8833a",
    "#f28e2b"
  ],
  "grid": [
    {
      "left": "16",
      "top": "56",
      "right": "28",
      "bottom": "64",
      "containLabel": true
    }
  ],
  "legend": {
    "type": "scroll",
    "show": true,
    "left": "center",
    "bottom": "4",
    "data": [
      "weights",
      "KV cache",
      "other"
    ]
  },
  "series": [
    {
      "name": "weights",
      "type": "bar",
      "stack": "total",
      "barCategoryGap": "35%",
      "barMaxWidth": "64",
      "data": [
        14.96,
        14.96
      ]
    },
    {
      "name": "KV cache",
      "type": "bar",
      "stack": "total",
      "barCategoryGap": "35%",
      "barMaxWidth": "64",
      "data": [
        1,
        4
      ]
    },
    {
      "name": "other",
      "type": "bar",
      "stack": "total",
      "barCategoryGap": "35%",
      "barMaxWidth": "64",
      "data": [
        0.5,
        null
      ],
      "markLine": {
        "data": [
          {
            "name": "H100 80GB",
            "yAxis": 74.5,
            "lineStyle": {
              "color": "#333",
              "width": 1.5,
              "type": "dashed"
            },
            "label": {
              "color": "#333",
              "backgroundColor": "rgba(255,255,255,0.85)"
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
      }
    }
  ],
  "title": {
    "text": "Memory per GPU",
    "textStyle": {
      "fontSize": 16
    },
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
        "name": "memStack",
        "title": "Save as image"
      }
    }
  },
  "tooltip": {
    "trigger": "axis",
    "formatter": function (ps) { var e = echarts.format.encodeHTML; var f = (function (v) { if (v == null || v === '' || isNaN(v)) { return 'n/a'; } v = +v; var s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(3)); return s + ' GiB'; }); if (!ps.length) { return ''; } var t = 0; var h = e(String(ps[0].axisValueLabel)); var cap = ''; for (var i = 0; i < ps.length; i++) { var v = ps[i].value; if (ps[i].seriesIndex >= 3) { if (ps[i].seriesIndex === 3) { cap = '<br>' + ps[i].marker + e(String(ps[i].seriesName)) + ': <b>' + e(f(v)) + '</b>'; } continue; } if (v != null && !isNaN(v)) { t += +v; } h += '<br>' + ps[i].marker + e(String(ps[i].seriesName)) + ': <b>' + e(f(v)) + '</b>'; } return h + '<br>Total: <b>' + e(f(t)) + '</b>' + cap; },
    "axisPointer": {
      "type": "shadow"
    },
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
        "8K",
        "32K"
      ],
      "axisLabel": {
        "interval": "0",
        "showMinLabel": null,
        "showMaxLabel": null
      }
    }
  ],
  "yAxis": [
    {
      "name": "memory (GiB)",
      "type": "value",
      "max": 100,
      "nameTextStyle": {
        "align": "left"
      }
    }
  ]
}
