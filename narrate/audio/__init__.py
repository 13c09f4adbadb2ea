"""Audio: Clips -> the files a listener gets, and the measurements that judge them.

In: the clips of synthesis/ (one per Line) and the script's structure. Out: chapter files (mp3, wav, flac,
opus), the .m4b book with chapter marks, subtitles, and the fingerprints the manifest records.
- layout.py: a chapter as clips and pauses, cut into units at its longer pauses (whole codec frames each)
- levels.py: every voice brought to one level; loudness.py: EBU R128 measuring and the mastering chain
- encoding.py: units mastered, encoded once, kept by fingerprint; files joined from their frames
- containers.py: MP3 and .m4b containers, tags, covers, chapter marks; subtitles.py: WebVTT and SRT
- cover.py: the cover decoded once, within its limits, and made the one JPEG (<= 3000 px) every file embeds
- check.py: `narrate check`, every file measured against the loudness targets or ACX's rules

Entry point: `book.write_book` (a build's files); preview mixes a passage from layout and containers."""
