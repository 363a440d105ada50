"""The FHIR R4 bulk export (FHIR Bulk Data Access, STU 3 ``$export``), asynchronous.

A director or the privacy officer kicks an export off (``GET /fhir/$export``, ``/fhir/Patient/
$export`` or ``/fhir/Group/<unit or program id>/$export``) with an API bearer token; the answer is
202 and a status URL. The worker runs the export (``tasks.run_export``) from the replica when
one is configured (``reading.read_alias``), writing one NDJSON file per resource type under the
data directory, each resource validated with ``fhir.resources`` (R4B models) as it is written.
The status URL answers 202 with progress while it runs and 200 with the manifest when done; the
files are downloaded with the same token until they expire, when a sweep deletes them.

Part 2 (substance-use) records leave only under a consent that covers the reader
(``people.labels.disclosure_basis`` answers "consent"), carrying the 42 CFR Part 2 security
label; every other Part 2 record is withheld and the manifest's error file says so, with the
count suppressed below 11 (``core.suppression``). Confidential directory locations never leave.
"""
