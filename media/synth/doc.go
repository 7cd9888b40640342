// Package synth makes synthetic test streams: it paints moving, textured, noisy
// pictures and a tone/noise sound track, damages them on a schedule the caller chooses
// (black, freeze, blur, silence, clipping, loudness, corruption, A/V offset), encodes
// them with FFmpeg (H.264, HEVC or MPEG-2 video; AAC or MP2 audio) into MPEG-TS, MP4
// or Matroska, and returns the ground truth: the defects a correct detector should
// report.
//
// Write and WriteFile make a clip of a fixed length, as fast as the CPU allows. A
// Channel encodes one endless live MPEG-TS stream in real time with a rolling defect
// schedule, and a Server serves channels over HTTP to any number of clients, with
// fault-injection endpoints for chaos tests. Nothing here reads files or the network,
// so tests and the demo are self-contained.
//
// How each impairment is made:
//
//   - black: the picture becomes Y=16, U=V=128 for the window.
//   - freeze: the raw picture painted at the start of the window (noise included) is
//     sent to the encoder again for every frame of the window; the encoder keeps
//     refining it for a while, as real encoders do.
//   - blur: the picture is smoothed with two passes of a box filter of radius Param.
//   - silence: the samples become zero (or noise at Param dBFS when Param < 0).
//   - clipping: the sound is driven Param dB into full scale and hard-clipped.
//   - loudness: the sound is amplified or attenuated by Param dB.
//   - corruption: bytes in the slice data of encoded video packets are flipped, so
//     decoders report errors and conceal (visible as blocks and smears).
//   - av_offset: the audio packets are stamped Param seconds later from the window's
//     start and written next to the video of the same moment (non-interleaved
//     writes), so a demuxer sees audio and video time stamps jump apart as after a
//     bad splice; at the first key frame after the window the video jumps alike and
//     the two are back in sync, both later than before (time stamps never step
//     back). A negative Param moves the video first.
package synth
