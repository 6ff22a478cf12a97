"""Use cases of citizens' (:mod:`.citizens`) and authors' (:mod:`.authors`) e-mail, one-click
unsubscribe from either list (:mod:`.unsubscribe`), and sending what is queued
(:mod:`.sending`)."""
