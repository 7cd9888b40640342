package synth

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/vigil-monitor/vigil/media/detect"
)

func TestTruths(t *testing.T) {
	cases := []struct {
		name string
		ims  []Impairment
		want []Truth
	}{
		{"none", nil, nil},
		{"black snapped to frames", []Impairment{{Kind: Black, Start: 1.01, End: 3.5}},
			[]Truth{{Type: detect.Black, Start: 1.04, End: 3.52, Kind: Black}}},
		{"short black is a trap", []Impairment{{Kind: Black, Start: 1, End: 2.9}}, nil},
		{"freeze", []Impairment{{Kind: Freeze, Start: 2, End: 4}},
			[]Truth{{Type: detect.Freeze, Start: 2, End: 4, Kind: Freeze}}},
		{"faint blur is a trap", []Impairment{{Kind: Blur, Start: 2, End: 5, Param: 1}}, nil},
		{"blur", []Impairment{{Kind: Blur, Start: 2, End: 5}},
			[]Truth{{Type: detect.Blur, Start: 2, End: 5, Kind: Blur}}},
		{"short silence is a trap", []Impairment{{Kind: Silence, Start: 2, End: 3.5}}, nil},
		{"silence keeps sample precision", []Impairment{{Kind: Silence, Start: 2.01, End: 4.5}},
			[]Truth{{Type: detect.Silence, Start: 2.01, End: 4.5, Kind: Silence}}},
		{"short clipping is only clipping", []Impairment{{Kind: Clipping, Start: 1, End: 2}},
			[]Truth{{Type: detect.Clipping, Start: 1, End: 2, Kind: Clipping}}},
		{"long clipping is loud too", []Impairment{{Kind: Clipping, Start: 1, End: 7}},
			[]Truth{{Type: detect.Clipping, Start: 1, End: 7, Kind: Clipping}, {Type: detect.Loudness, Start: 1, End: 7, Kind: Clipping}}},
		{"small gain is a trap", []Impairment{{Kind: Loudness, Start: 1, End: 8, Param: -4}}, nil},
		{"short gain is a trap", []Impairment{{Kind: Loudness, Start: 1, End: 3.5}}, nil},
		{"quiet", []Impairment{{Kind: Loudness, Start: 1, End: 8, Param: -15}},
			[]Truth{{Type: detect.Loudness, Start: 1, End: 8, Kind: Loudness}}},
		{"corruption lasts to the next key frame", []Impairment{{Kind: Corruption, Start: 2.3, End: 2.5}},
			[]Truth{{Type: detect.DecodeError, Alternatives: []detect.Type{detect.Blockiness}, Start: 2.32, End: 3, Kind: Corruption}}},
		{"corruption ending on a key frame", []Impairment{{Kind: Corruption, Start: 2, End: 3}},
			[]Truth{{Type: detect.DecodeError, Alternatives: []detect.Type{detect.Blockiness}, Start: 2, End: 3, Kind: Corruption}}},
		{"small offset is a trap", []Impairment{{Kind: AVOffset, Start: 1, End: 5, Param: 0.04}}, nil},
		{"audio early", []Impairment{{Kind: AVOffset, Start: 0.5, End: 5, Param: -0.3}},
			[]Truth{{Type: detect.AVSync, Start: 1, End: 5.3, Kind: AVOffset}}},
		{"audio late until the next key frame", []Impairment{{Kind: AVOffset, Start: 1, End: 4.5}},
			[]Truth{{Type: detect.AVSync, Start: 1, End: 5, Kind: AVOffset}}},
		{"offset moves later windows", []Impairment{
			{Kind: Black, Start: 0, End: 2.5}, {Kind: AVOffset, Start: 1, End: 3, Param: 0.5},
			{Kind: Freeze, Start: 5, End: 8}, {Kind: Silence, Start: 5, End: 8}},
			[]Truth{{Type: detect.Black, Start: 0, End: 2.52, Kind: Black}, {Type: detect.AVSync, Start: 1, End: 3, Kind: AVOffset},
				{Type: detect.Freeze, Start: 5.5, End: 8.5, Kind: Freeze}, {Type: detect.Silence, Start: 5.5, End: 8.5, Kind: Silence}}},
		{"offset shorter than a key frame interval", []Impairment{{Kind: AVOffset, Start: 1.2, End: 2, Param: -0.5}}, nil},
		{"sorted by start", []Impairment{{Kind: Silence, Start: 5, End: 8}, {Kind: Black, Start: 1, End: 4}},
			[]Truth{{Type: detect.Black, Start: 1, End: 4, Kind: Black}, {Type: detect.Silence, Start: 5, End: 8, Kind: Silence}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Truths(Spec{Duration: 10, Impairments: tc.ims})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Truths = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseKind(t *testing.T) {
	for _, k := range Kinds {
		if got, err := ParseKind(string(k)); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
	}
	if _, err := ParseKind("smear"); err == nil {
		t.Error("ParseKind(smear) succeeded")
	}
}

// TestDamageKeepsStructure checks that damage changes slice data only: start codes,
// NAL headers and the first bytes of every slice stay as they were.
func TestDamageKeepsStructure(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// An Annex B access unit: AUD, SPS, PPS, then an IDR slice of 400 bytes.
	var au []byte
	au = append(au, 0, 0, 0, 1, 0x09, 0xf0)
	au = append(au, 0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1e, 0xac)
	au = append(au, 0, 0, 0, 1, 0x68, 0xeb, 0xe3, 0xcb)
	au = append(au, 0, 0, 1, 0x65)
	for i := 0; i < 400; i++ {
		au = append(au, byte(0x10+i%200))
	}
	orig := bytes.Clone(au)
	if n := damage(au, "h264", rng); n == 0 {
		t.Fatal("nothing damaged")
	}
	if got, want := startCodes(au), startCodes(orig); !reflect.DeepEqual(got, want) {
		t.Errorf("start codes at %v, want %v", got, want)
	}
	slice := startCodes(orig)[3]
	if !bytes.Equal(au[:slice+48], orig[:slice+48]) {
		t.Error("headers or slice header changed")
	}
	if bytes.Equal(au, orig) {
		t.Error("slice data unchanged")
	}
	// Non-slice units alone are left alone.
	hdr := bytes.Clone(orig[:slice-4])
	if n := damage(hdr, "h264", rng); n != 0 || !bytes.Equal(hdr, orig[:slice-4]) {
		t.Errorf("damaged %d bytes of parameter sets", n)
	}
}

func TestInterleaverOrder(t *testing.T) {
	var q interleaver
	var got []float64
	push := func(key float64, video bool) { q.push(queued{key: key, video: video}) }
	pop := func(all bool) {
		for {
			x, ok := q.next(all)
			if !ok {
				return
			}
			got = append(got, x.key)
		}
	}
	push(0.00, false)
	push(0.02, false)
	pop(false) // no video yet: nothing may go
	push(-0.08, true)
	push(0.04, false)
	pop(false)
	push(0.01, true)
	push(0.05, true)
	pop(true)
	want := []float64{-0.08, 0, 0.01, 0.02, 0.04, 0.05}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
