package detect

import "testing"

// tone is defaultAudio (-23.7 LUFS: the mono sine is upmixed to stereo at -3 dB);
// impairments are appended to it. The ends of loudness truths are where the 3 s
// short-term window, sliding past the change, returns within the band.
const tone = defaultAudio

func TestSilenceConformance(t *testing.T) {
	runConformance(t, []conformanceCase{
		{name: "silence 3-6s", clip: clip{video: testsrc2, audio: tone + ",volume=0:enable='between(t,3,6)'"},
			want: []truth{{typ: Silence, start: 3, end: 6}}},
		{name: "1s pause is not silence", clip: clip{video: testsrc2, audio: tone + ",volume=0:enable='between(t,3,4)'"}},
		{name: "quiet is not silent", clip: clip{video: testsrc2, audio: tone + ",volume=-30dB"},
			want: []truth{{typ: Loudness, start: 0, end: 8}}},
	})
}

func TestClippingConformance(t *testing.T) {
	runConformance(t, []conformanceCase{
		{name: "clipped 3-6s",
			clip: clip{dur: 10, video: testsrc2, audio: tone + ",volume=30dB:enable='between(t,3,6)',aformat=sample_fmts=s16"},
			want: []truth{{typ: Clipping, start: 3, end: 6}, {typ: Loudness, start: 3, end: 8.9}}},
		{name: "loud peaks at 0.89 are not clipped", clip: clip{video: testsrc2, audio: tone + ",volume=22dB"},
			want: []truth{{typ: Loudness, start: 0, end: 8}}},
	})
}

func TestLoudnessConformance(t *testing.T) {
	runConformance(t, []conformanceCase{
		{name: "12 dB too loud 3-9s", clip: clip{dur: 12, video: testsrc2, audio: tone + ",volume=12dB:enable='between(t,3,9)'"},
			want: []truth{{typ: Loudness, start: 3, end: 10.7}}},
		{name: "18 dB too quiet 3-9s", clip: clip{dur: 12, video: testsrc2, audio: tone + ",volume=-18dB:enable='between(t,3,9)'"},
			want: []truth{{typ: Loudness, start: 3, end: 9.5}}},
		{name: "pink noise in band", clip: clip{video: testsrc2, audio: "anoisesrc=c=pink:r=48000:a=0.4:d={D}"}},
	})
}

func TestAVSyncConformance(t *testing.T) {
	runConformance(t, []conformanceCase{
		{name: "audio timeline jumps 0.5s at 4s",
			clip: clip{video: testsrc2, audio: tone + ",asetpts='PTS+gte(T\\,4)*0.5/TB'"},
			want: []truth{{typ: AVSync, start: 4.5, end: 8}}},
		{name: "video timeline jumps 0.3s at 4s",
			clip: clip{video: testsrc2 + ",setpts='PTS+gte(T\\,4)*0.3/TB'"},
			want: []truth{{typ: AVSync, start: 4.3, end: 8.3}}},
		{name: "both jump alike at 4s",
			clip: clip{video: testsrc2 + ",setpts='PTS+gte(T\\,4)*0.5/TB'", audio: tone + ",asetpts='PTS+gte(T\\,4)*0.5/TB'"}},
	})
}
