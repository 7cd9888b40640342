package table

import (
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/hlc"
)

// SpecToProto converts a spec to its wire form.
func SpecToProto(s Spec) *vigilv1.StreamSpec {
	return &vigilv1.StreamSpec{Id: s.ID, Url: s.URL, Thresholds: s.Thresholds, Labels: s.Labels}
}

// SpecFromProto converts a spec from its wire form; nil gives the zero Spec.
func SpecFromProto(p *vigilv1.StreamSpec) Spec {
	if p == nil {
		return Spec{}
	}
	s := Spec{ID: p.GetId(), URL: p.GetUrl()}
	if len(p.GetThresholds()) > 0 {
		s.Thresholds = p.GetThresholds()
	}
	if len(p.GetLabels()) > 0 {
		s.Labels = p.GetLabels()
	}
	return s
}

// VersionToProto converts a version to its wire form.
func VersionToProto(v Version) *vigilv1.HLC {
	return &vigilv1.HLC{Time: uint64(v.Time), Node: v.Node}
}

// VersionFromProto converts a version from its wire form.
func VersionFromProto(p *vigilv1.HLC) Version {
	return Version{Time: hlc.Timestamp(p.GetTime()), Node: p.GetNode()}
}

// ToProto converts a row to its wire form.
func ToProto(e Entry) *vigilv1.TableEntry {
	p := &vigilv1.TableEntry{Id: e.ID, Version: VersionToProto(e.Version), Deleted: e.Deleted}
	if !e.Deleted {
		p.Spec = SpecToProto(e.Spec)
	}
	for _, c := range e.Crashes {
		p.Crashes = append(p.Crashes, &vigilv1.CrashRecord{BootId: c.BootID, Node: c.Node, AtUnixMs: c.At.UnixMilli()})
	}
	return p
}

// FromProto converts a row from its wire form, putting its crash records in
// canonical order.
func FromProto(p *vigilv1.TableEntry) Entry {
	e := Entry{ID: p.GetId(), Version: VersionFromProto(p.GetVersion()), Deleted: p.GetDeleted()}
	if !e.Deleted {
		e.Spec = SpecFromProto(p.GetSpec())
		e.Spec.ID = e.ID
		cs := make([]Crash, 0, len(p.GetCrashes()))
		for _, c := range p.GetCrashes() {
			cs = append(cs, Crash{BootID: c.GetBootId(), Node: c.GetNode(), At: time.UnixMilli(c.GetAtUnixMs())})
		}
		e.Crashes = unionCrashes(cs, nil)
	}
	return e
}
