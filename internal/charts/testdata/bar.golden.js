{
  "animation": false,
  "color": [
    "#4e79a7"
  ],
  "grid": [
    {
      "left": "16",
      "top": "56",
      "right": "72",
      "bottom": "36",
      "containLabel": true
    }
  ],
  "legend": {
    "show": false
  },
  "series": [
    {
      "name": "KV",
      "type": "bar",
      "barCategoryGap": "30%",
      "barMaxWidth": "64",
      "data": [
        {
          "value": 128,
          "itemStyle": {
            "color": "#4e79a7"
          }
        },
        {
          "value": "-",
          "itemStyle": {
            "color": "#f28e2b"
          }
        }
      ],
      "label": {
        "show": true,
        "position": "right",
        "formatter": function (p) { return (function (v) { if (v == null || v === '' || isNaN(v)) { return 'n/a'; } v = +v; var s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(3)); return s + ' KiB'; })(p.value); }
      }
    }
  ],
  "title": {
    "text": "KV per token",
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
        "name": "kvPerToken",
        "title": "Save as image"
      }
    }
  },
  "tooltip": {
    "trigger": "axis",
    "valueFormatter": function (v) { return echarts.format.encodeHTML((function (v) { if (v == null || v === '' || isNaN(v)) { return 'n/a'; } v = +v; var s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(3)); return s + ' KiB'; })(v)); },
    "axisPointer": {
      "type": "shadow"
    },
    "confine": true,
    "extraCssText": "max-width:min(90vw,560px);white-space:normal;overflow-wrap:anywhere"
  },
  "xAxis": [
    {
      "type": "value",
      "name": "KV per token (KiB)",
      "nameLocation": "middle",
      "nameGap": 28
    }
  ],
  "yAxis": [
    {
      "type": "category",
      "inverse": true,
      "data": [
        "a",
        "b"
      ],
      "axisLabel": {
        "interval": "0",
        "showMinLabel": null,
        "showMaxLabel": null
      }
    }
  ]
}
