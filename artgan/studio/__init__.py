"""``artgan studio``: a local web page that runs every installed model's verbs.

Everything on the page is discovered: the models the installed plugins ship (and run or
checkpoint folders given with ``--model``), the verbs each offers, and one control per field
of a verb's options dataclass. A third-party plugin's verbs appear with no change here.

The server is the standard library's (:mod:`http.server`) with one static page of plain
HTML, CSS and JavaScript: nothing is fetched from the internet, nothing is reported
anywhere, and it adds no dependency. One worker thread runs every job in turn, so two
browser tabs cannot run the machine out of memory. Results are written by the core's
writers (atomic, never over a file, provenance embedded).

Modules, lowest first: :mod:`~artgan.studio.controls` (options → controls and back to a
command line; torch-free), :mod:`~artgan.studio.catalog` (what is installed),
:mod:`~artgan.studio.jobs` (the queue and its worker), :mod:`~artgan.studio.results`
(results, their files and previews), :mod:`~artgan.studio.session` (uploads, runs and
exports, checked then queued), :mod:`~artgan.studio.server` (HTTP).
"""
