"""The words of the pages before moderation (drafting.py): the author's draft, co-sponsoring by
link, "my petitions"; French (first) and English, the same keys in both."""

FR: dict[str, str] = {
    "nav_my_petitions": "Mes pétitions",
    "draft_notice": (
        "Ce brouillon n'est visible que de son auteur et des personnes qui ont son lien "
        "de co-signature."
    ),
    "sponsors_heading": "Co-signataires",
    "sponsors_count": "Co-signataires : {count}",
    "sponsors_minimum": "Minimum requis avant l'envoi en modération : {min}",
    "sponsors_missing": (
        "Il manque encore {missing} co-signataire(s) avant de pouvoir envoyer la pétition "
        "en modération."
    ),
    "sponsor_link_label": "Lien de co-signature à partager",
    "sponsor_link_hint": (
        "Toute personne qui a ce lien peut lire votre brouillon et, une fois connectée, le "
        "co-signer. Ne l'envoyez qu'aux personnes que vous invitez."
    ),
    "draft_heading": "Votre brouillon",
    "edit_draft_link": "Modifier le brouillon",
    "draft_locked": "Ce brouillon ne peut plus être modifié : des personnes l'ont co-signé.",
    "submit_draft_intro": (
        "Quand le brouillon est prêt, envoyez-le en modération ; il ne pourra plus être modifié."
    ),
    "submit_draft_button": "Envoyer en modération",
    "edit_title": "Modifier le brouillon",
    "edit_intro": "Vous pouvez modifier votre brouillon tant que personne ne l'a co-signé.",
    "save_draft_button": "Enregistrer les modifications",
    "sponsor_heading": "Co-signer cette pétition",
    "sponsor_intro": (
        "Son auteur vous invite à la co-signer avant qu'un modérateur ne la relise. "
        "Votre co-signature est enregistrée sous un identifiant propre à ce service."
    ),
    "sponsor_button": "Co-signer la pétition",
    "sign_in_to_sponsor": "Se connecter pour co-signer",
    "sign_in_to_sponsor_intro": "Pour co-signer, connectez-vous avec votre identité numérique.",
    "sponsored_already": "Vous co-signez cette pétition depuis le {date}.",
    "sponsor_link_bad_title": "Lien de co-signature invalide",
    "sponsor_link_bad_text": (
        "Ce lien de co-signature n'est pas valide, ou la pétition n'existe plus. Vérifiez-le "
        "auprès de la personne qui vous l'a envoyé."
    ),
    "flash_draft_created": (
        "Votre brouillon est enregistré. Partagez son lien de co-signature, puis envoyez-le "
        "en modération."
    ),
    "flash_draft_saved": "Votre brouillon est enregistré.",
    "flash_submitted": "Votre pétition est envoyée ; elle attend la modération.",
    "flash_sponsored": "Merci : vous co-signez cette pétition.",
    "err_not_enough_sponsors": (
        "Cette pétition n'a pas encore assez de co-signataires pour être envoyée en modération."
    ),
    "err_already_sponsored": "Vous co-signez déjà cette pétition.",
    "err_author_cannot_sponsor": "L'auteur d'une pétition ne peut pas la co-signer.",
    "err_sponsoring_closed": (
        "Cette pétition a déjà été relue : elle n'accepte plus de co-signataires."
    ),
    "err_not_a_draft": "Seul un brouillon peut être modifié.",
    "err_draft_has_sponsors": (
        "Ce brouillon ne peut plus être modifié : des personnes l'ont co-signé."
    ),
    "my_petitions_title": "Mes pétitions",
    "my_petitions_intro": "Les pétitions et les brouillons que vous avez écrits.",
    "my_petitions_empty": "Vous n'avez encore écrit aucune pétition.",
    "created_on_column": "Créée le",
    "sponsors_column": "Co-signataires",
}

EN: dict[str, str] = {
    "nav_my_petitions": "My petitions",
    "draft_notice": (
        "Only its author and the people who have its co-sponsor link can see this draft."
    ),
    "sponsors_heading": "Co-sponsors",
    "sponsors_count": "Co-sponsors: {count}",
    "sponsors_minimum": "Minimum needed before submitting for moderation: {min}",
    "sponsors_missing": (
        "{missing} more co-sponsor(s) needed before the petition can be submitted for moderation."
    ),
    "sponsor_link_label": "Co-sponsor link to share",
    "sponsor_link_hint": (
        "Anyone with this link can read your draft and, once signed in, co-sponsor it. "
        "Send it only to the people you invite."
    ),
    "draft_heading": "Your draft",
    "edit_draft_link": "Edit the draft",
    "draft_locked": "This draft can no longer be edited: people have co-sponsored it.",
    "submit_draft_intro": (
        "When the draft is ready, submit it for moderation; it can then no longer be edited."
    ),
    "submit_draft_button": "Submit for moderation",
    "edit_title": "Edit the draft",
    "edit_intro": "You can edit your draft as long as nobody has co-sponsored it.",
    "save_draft_button": "Save the changes",
    "sponsor_heading": "Co-sponsor this petition",
    "sponsor_intro": (
        "Its author invites you to co-sponsor it before a moderator reviews it. "
        "Your co-sponsorship is recorded under an identifier specific to this service."
    ),
    "sponsor_button": "Co-sponsor the petition",
    "sign_in_to_sponsor": "Sign in to co-sponsor",
    "sign_in_to_sponsor_intro": "To co-sponsor, sign in with your digital identity.",
    "sponsored_already": "You have co-sponsored this petition since {date}.",
    "sponsor_link_bad_title": "Invalid co-sponsor link",
    "sponsor_link_bad_text": (
        "This co-sponsor link is not valid, or the petition no longer exists. Check it with "
        "the person who sent it to you."
    ),
    "flash_draft_created": (
        "Your draft is saved. Share its co-sponsor link, then submit it for moderation."
    ),
    "flash_draft_saved": "Your draft is saved.",
    "flash_submitted": "Your petition is submitted; it awaits moderation.",
    "flash_sponsored": "Thank you: you co-sponsor this petition.",
    "err_not_enough_sponsors": (
        "This petition does not have enough co-sponsors yet to be submitted for moderation."
    ),
    "err_already_sponsored": "You already co-sponsor this petition.",
    "err_author_cannot_sponsor": "The author of a petition cannot co-sponsor it.",
    "err_sponsoring_closed": (
        "This petition has already been reviewed: it no longer takes co-sponsors."
    ),
    "err_not_a_draft": "Only a draft can be edited.",
    "err_draft_has_sponsors": "This draft can no longer be edited: people have co-sponsored it.",
    "my_petitions_title": "My petitions",
    "my_petitions_intro": "The petitions and drafts you wrote.",
    "my_petitions_empty": "You have not written any petition yet.",
    "created_on_column": "Created on",
    "sponsors_column": "Co-sponsors",
}
