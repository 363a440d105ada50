"""What Pillars' web server (gunicorn) writes to its access log: the client's address, the
moment, the method and path, the answer, its size and how long it took. Never the query string
or the referring page: a person search carries its words (part of a name) there, and a log
outlives the session it came from. ``pillars serve`` passes this file; gunicorn started by hand
in this folder (the README's production command) reads it too."""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
