{
  "animation": false,
  "color": [
    "#4e79a7",
    "#d9d9d9"
  ],
  "grid": [
    {
      "left": "16",
      "top": "56",
      "right": "28",
      "bottom": "84",
      "containLabel": true
    }
  ],
  "legend": {
    "show": true,
    "right": "12",
    "bottom": "8",
    "data": [
      "does not fit"
    ]
  },
  "series": [
    {
      "name": "values",
      "type": "heatmap",
      "data": [
        [
          "1K",
          "1",
          0.125
        ],
        [
          "2K",
          "1",
          0.25
        ],
        [
          "1K",
          "2",
          0.25
        ]
      ],
      "itemStyle": {
        "borderColor": "#ffffff",
        "borderWidth": 1
      },
      "label": {
        "show": true,
        "formatter": function (p) { return (function (v) { if (v == null || v === '' || isNaN(v)) { return 'n/a'; } v = +v; var s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(3)); return s + ''; })(p.value[2]); }
      }
    },
    {
      "name": "does not fit",
      "type": "heatmap",
      "data": [
        [
          "2K",
          "2",
          0
        ]
      ],
      "itemStyle": {
        "color": "#d9d9d9",
        "borderColor": "#ffffff",
        "borderWidth": 1
      },
      "label": {
        "show": true,
        "color": "#555555",
        "formatter": "✗"
      }
    }
  ],
  "title": {
    "text": "KV by batch",
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
        "name": "kvHeat",
        "title": "Save as image"
      }
    }
  },
  "tooltip": {
    "trigger": "item",
    "formatter": function (p) { var e = echarts.format.encodeHTML; var v = p.value; var h = e('batch\u003a ' + v[1]) + '<br>' + e('context\u003a ' + v[0]) + '<br>'; if (p.seriesIndex === 1) { return h + '<b>' + e('does not fit') + '</b>'; } return h + '<b>' + e((function (v) { if (v == null || v === '' || isNaN(v)) { return 'n/a'; } v = +v; var s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(3)); return s + ' GiB'; })(v[2])) + '</b>'; },
    "confine": true,
    "extraCssText": "max-width:min(90vw,560px);white-space:normal;overflow-wrap:anywhere"
  },
  "visualMap": [
    {
      "type": "continuous",
      "calculable": true,
      "min": 0.125,
      "max": 0.25,
      "inRange": {
        "color": [
          "#f7fbff",
          "#9ecae1",
          "#4292c6",
          "#08306b"
        ]
      },
      "left": "center",
      "bottom": "4",
      "orient": "horizontal",
      "seriesIndex": 0,
      "formatter": function (v) { return (function (v) { if (v == null || v === '' || isNaN(v)) { return 'n/a'; } v = +v; var s = Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(+v.toPrecision(3)); return s + ' GiB'; })(v); }
    }
  ],
  "xAxis": [
    {
      "type": "category",
      "name": "context",
      "nameLocation": "middle",
      "nameGap": 28,
      "data": [
        "1K",
        "2K"
      ],
      "splitArea": {
        "show": true
      },
      "axisLabel": {
        "interval": "0",
        "showMinLabel": null,
        "showMaxLabel": null
      }
    }
  ],
  "yAxis": [
    {
      "name": "batch",
      "type": "category",
      "data": [
        "1",
        "2"
      ],
      "splitArea": {
        "show": true
      }
    }
  ]
}
