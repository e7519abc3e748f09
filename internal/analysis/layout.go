package analysis

import (
	"fmt"
	"sort"
	"strings"
)

// Hardware is a fleet as bought: Count accelerators of CapacityBytes each,
// GPUsPerNode to a node. TP and PP, when above 0, pin the layout; 0 leaves
// the choice to ChooseLayout.
type Hardware struct {
	Name          string
	CapacityBytes int64
	Count         int64
	GPUsPerNode   int64
	TP, PP        int64
}

// Layout is one way of splitting a model over hardware: TP-way tensor
// parallelism inside a node, PP pipeline stages, and Replicas copies.
type Layout struct {
	TP, PP, Replicas int64
}

// LayoutOption is one layout considered for a model on some hardware.
type LayoutOption struct {
	Layout
	// Problem says, in words, why a serving engine would refuse the layout;
	// "" when it accepts it. Plan and the figures below are set only then.
	Problem string
	Plan    Plan
	// PerReplica is how many sequences of the context one replica holds,
	// Total the same over all replicas.
	PerReplica, Total int64
}

// LayoutChoice is the outcome of ChooseLayout.
type LayoutChoice struct {
	// Options lists every layout considered: the accepted ones ranked best
	// first, then the refused ones with their problem.
	Options []LayoutOption
	// Chosen indexes Options, -1 when no layout is accepted.
	Chosen int
	// Reason says why nothing can be placed when Chosen is -1.
	Reason string
}

// Best is the chosen option; ok is false when no layout works.
func (c LayoutChoice) Best() (LayoutOption, bool) {
	if c.Chosen < 0 {
		return LayoutOption{}, false
	}
	return c.Options[c.Chosen], true
}

// DefaultGPUsPerNode is the node size when neither fleet nor accelerator
// states one: 8, as in HGX/DGX, MI300X platforms, Gaudi 3 servers and
// v6e-8 hosts.
const DefaultGPUsPerNode = 8

// Layouts lists the layouts an engine could be asked to use on h: tensor
// parallelism of a degree dividing the node (and the fleet), pipeline
// parallelism only across whole nodes (PP > 1 needs TP to fill a node), and
// the remaining accelerators as replicas. A pinned TP or PP is the only
// value tried for it.
func (h Hardware) Layouts() []Layout {
	node := h.GPUsPerNode
	if node < 1 {
		node = DefaultGPUsPerNode
	}
	var tps []int64
	if h.TP > 0 {
		tps = []int64{h.TP}
	} else {
		for t := int64(1); t <= min(node, h.Count); t++ {
			if node%t == 0 && h.Count%t == 0 {
				tps = append(tps, t)
			}
		}
	}
	var out []Layout
	for _, tp := range tps {
		var pps []int64
		switch {
		case h.PP > 0:
			pps = []int64{h.PP}
		case tp == node && h.Count%node == 0:
			nodes := h.Count / node
			for p := int64(1); p <= nodes; p++ {
				if nodes%p == 0 {
					pps = append(pps, p)
				}
			}
		default:
			pps = []int64{1}
		}
		for _, pp := range pps {
			l := Layout{TP: tp, PP: pp}
			if tp*pp > 0 && h.Count%(tp*pp) == 0 {
				l.Replicas = h.Count / (tp * pp)
			}
			out = append(out, l)
		}
	}
	return out
}

// layoutProblem says why l cannot serve m on h, or "".
func layoutProblem(m *Model, h Hardware, l Layout) string {
	if l.TP < 1 || l.PP < 1 || h.Count < 1 {
		return "count, tp and pp must be at least 1"
	}
	if l.Replicas == 0 {
		return fmt.Sprintf("%d accelerators do not split into groups of tp %d × pp %d", h.Count, l.TP, l.PP)
	}
	if msg := m.TPProblem(l.TP); msg != "" {
		return msg
	}
	if n := int64(len(m.Layers)); l.PP > n {
		return fmt.Sprintf("pp %d is more than the %d layers", l.PP, n)
	}
	return ""
}

// ChooseLayout places m on h in every layout of h.Layouts and picks the one
// that holds the most concurrent sequences of context tokens over the whole
// fleet (replicas × per replica). Pipeline parallelism is for a model one
// node cannot hold: while a single-stage layout holds a sequence, it wins
// over every pipelined one. Ties go to the smaller TP, then the smaller PP;
// when no layout holds a single sequence, to the layout with the most KV
// budget per accelerator (the least short), so that a model too big for the
// fleet is shown at its best.
func ChooseLayout(m *Model, s Scenario, h Hardware, context int64) LayoutChoice {
	var ok, refused []LayoutOption
	for _, l := range h.Layouts() {
		o := LayoutOption{Layout: l, Problem: layoutProblem(m, h, l)}
		if o.Problem == "" {
			p, err := NewPlan(m, s, Fleet{Name: h.Name, CapacityBytes: h.CapacityBytes, Count: h.Count, TP: l.TP, PP: l.PP})
			if err != nil {
				o.Problem = err.Error()
			} else {
				o.Plan = p
				o.PerReplica = p.MaxConcurrency(context)
				o.Total = mulSat(o.PerReplica, l.Replicas)
			}
		}
		if o.Problem != "" {
			refused = append(refused, o)
			continue
		}
		ok = append(ok, o)
	}
	// Pipeline stages span nodes only when a node cannot hold a replica:
	// while some single-stage layout holds a sequence, those come first.
	singleHolds := false
	for _, o := range ok {
		singleHolds = singleHolds || (o.PP == 1 && o.Total > 0)
	}
	sort.SliceStable(ok, func(i, j int) bool {
		a, b := ok[i], ok[j]
		if singleHolds && (a.PP == 1) != (b.PP == 1) {
			return a.PP == 1
		}
		if a.Total != b.Total {
			return a.Total > b.Total
		}
		if a.Total == 0 {
			if ba, bb := a.Plan.KVBudgetBytesPerGPU(), b.Plan.KVBudgetBytesPerGPU(); ba != bb {
				return ba > bb
			}
		}
		if a.TP != b.TP {
			return a.TP < b.TP
		}
		return a.PP < b.PP
	})
	c := LayoutChoice{Options: append(ok, refused...), Chosen: -1}
	if len(ok) > 0 {
		c.Chosen = 0
		return c
	}
	c.Reason = noLayoutReason(m, h, refused)
	return c
}

// noLayoutReason explains, in a sentence, why no layout works.
func noLayoutReason(m *Model, h Hardware, refused []LayoutOption) string {
	var pins []string
	if h.TP > 0 {
		pins = append(pins, fmt.Sprintf("tp %d", h.TP))
	}
	if h.PP > 0 {
		pins = append(pins, fmt.Sprintf("pp %d", h.PP))
	}
	why := "no layout was possible"
	if len(refused) > 0 {
		why = refused[0].Problem
	}
	if len(pins) > 0 {
		return fmt.Sprintf("%s fixed, and %s of %s; without fixed tp and pp kvplot would choose a layout", strings.Join(pins, " and "), why, m.Name)
	}
	return fmt.Sprintf("no layout of %d accelerators works for %s: %s", h.Count, m.Name, why)
}
