"""Per-platform media rules: which images and videos a platform takes, and the verdict on a post's.

Media are not text, so they have their own package; the text rules use it (each
``platforms.text.TextRules`` carries its platform's ``MediaRules`` as ``attachments``, and
``platforms.text.check`` reports the media's problems with the text's), and the adapters read
videos' movie headers with it::

    from platforms.media import check_media, probe
    from platforms.media.rules import INSTAGRAM_MEDIA

    verdict = check_media("Instagram", INSTAGRAM_MEDIA, media)  # facts, problems, warnings
    found = probe_file(Path("teaser.mp4"))                      # type, size, pixels, length

Modules: ``limits`` (every media number, with its source), ``probe`` (what an image or video
file handed to it is: type from its bytes, pixel size with Pillow, an MP4's movie header; links
are never fetched, and a path a post names is never read), ``held`` (an upload Callsheet holds:
its digest and facts, its bytes read back and checked against the digest), ``rules``
(``MediaLike``, ``KindRules``, ``MediaRules`` and one ``MediaRules`` per platform), ``check``
(``check_media``, ``MediaVerdict``, ``MediumFacts``), ``words`` (how the verdict names types,
sizes, proportions and lengths).
"""

from platforms.media.check import MediaVerdict, MediumFacts, check_media
from platforms.media.probe import Probe, mp4_duration, probe, probe_file
from platforms.media.rules import KindRules, MediaLike, MediaRules

__all__ = [
    "KindRules",
    "MediaLike",
    "MediaRules",
    "MediaVerdict",
    "MediumFacts",
    "Probe",
    "check_media",
    "mp4_duration",
    "probe",
    "probe_file",
]
