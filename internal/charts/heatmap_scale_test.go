package charts

import (
	"strings"
	"testing"
)

func TestHeatMapColourScale(t *testing.T) {
	hm := HeatMap{ID: "change", Title: "change", X: []string{"a", "b"}, Y: []string{"m"}, Values: [][]float64{{-50, 80}}, Min: -100, Max: 100}
	t.Run("default is blue", func(t *testing.T) {
		opt, err := hm.Option()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(opt), `"#08306b"`) {
			t.Errorf("default scale lacks the dark blue:\n%s", opt)
		}
	})
	t.Run("a diverging scale is used as given", func(t *testing.T) {
		d := hm
		d.Colors = []string{"#cf222e", "#f6f8fa", "#2da44e"}
		opt, err := d.Option()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(opt), `["#cf222e","#f6f8fa","#2da44e"]`) || strings.Contains(string(opt), `"#08306b"`) {
			t.Errorf("option does not carry the diverging scale alone:\n%s", opt)
		}
	})
	for name, cols := range map[string][]string{"one colour": {"#ffffff"}, "not a colour": {"#fff", "red"}} {
		t.Run(name+" is refused", func(t *testing.T) {
			d := hm
			d.Colors = cols
			if _, err := d.Option(); err == nil {
				t.Errorf("colours %v accepted", cols)
			}
		})
	}
}
