"""Wire <-> commands and views for citizens' and authors' e-mail: HTTP bodies
(:mod:`.requests`) and petitions events (:mod:`.bus`) into commands; mails, the views
(:mod:`.letters`, written with :mod:`.message`, :mod:`.citizen_letters`, :mod:`.author_letters`)."""
