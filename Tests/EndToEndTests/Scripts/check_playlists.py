"""Reads a channel's playlists with the independent `m3u8` parser and prints what it understood as JSON.

Usage: python3 check_playlists.py http://127.0.0.1:PORT/live/senate/index.m3u8
"""
import json
import sys
import urllib.parse

import m3u8


def media_summary(url):
    playlist = m3u8.load(url)
    segments = [s for s in playlist.segments if s.uri]
    parts = [p for s in playlist.segments for p in (s.parts or [])]
    return {
        "segments": len(segments),
        "segmentsWithDateTime": sum(1 for s in segments if s.program_date_time is not None),
        "parts": len(parts),
        "independentParts": sum(1 for p in parts if p.independent),
        "targetDuration": playlist.target_duration,
        "mediaSequence": playlist.media_sequence,
        "canBlockReload": bool(playlist.server_control and playlist.server_control.can_block_reload),
        "partHoldBack": playlist.server_control.part_hold_back if playlist.server_control else None,
        "partTarget": playlist.part_inf.part_target if playlist.part_inf else None,
        "preloadHint": playlist.preload_hint.uri if playlist.preload_hint else None,
        "renditionReports": [r.uri for r in playlist.rendition_reports],
        "segmentDurations": [s.duration for s in segments],
        "maxPartDuration": max((p.duration for p in parts), default=0),
        "isEndlist": playlist.is_endlist,
    }


def main(url):
    multivariant = m3u8.load(url)
    report = {"variants": [], "media": {}}
    for variant in multivariant.playlists:
        info = variant.stream_info
        report["variants"].append({
            "uri": variant.uri,
            "codecs": info.codecs,
            "bandwidth": info.bandwidth,
            "resolution": list(info.resolution) if info.resolution else None,
        })
        report["media"][variant.uri] = media_summary(urllib.parse.urljoin(url, variant.uri))
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
