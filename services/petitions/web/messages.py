"""The pages' messages in French (first) and English; keys are the same in both.

Those of the pages before moderation (drafts, co-sponsors) are in ``messages_drafts.py``.
"""

FR: dict[str, str] = {
    "site_name": "Pétitions citoyennes",
    "skip_to_content": "Aller au contenu",
    "nav_label": "Menu principal",
    "nav_petitions": "Pétitions",
    "nav_new": "Créer une pétition",
    "nav_my_signatures": "Mes signatures",
    "nav_moderation": "Modération",
    "sign_in": "Se connecter",
    "sign_out": "Se déconnecter",
    "change_language": "Langue",
    "footer_text": "Plateforme de participation citoyenne (démonstration).",
    "footer_open_data": "Données ouvertes (CSV)",
    "error_title_prefix": "Erreur : ",
    "list_title": "Pétitions",
    "list_intro": "Signez les pétitions ouvertes avec votre identité numérique vérifiée.",
    "search_legend": "Rechercher",
    "search_label": "Mots-clés",
    "status_label": "État",
    "status_any": "Ouvertes et closes",
    "search_button": "Rechercher",
    "list_empty": "Aucune pétition ne correspond à votre recherche.",
    "pagination_label": "Pagination",
    "previous_page": "Page précédente",
    "next_page": "Page suivante",
    "signatures_one": "{count} signature",
    "signatures_other": "{count} signatures",
    "status_open": "Ouverte",
    "status_closed": "Close",
    "status_draft": "Brouillon",
    "status_submitted": "En attente de modération",
    "status_rejected": "Rejetée",
    "status_withdrawn": "Retirée",
    "status_hidden": "Masquée",
    "open_until": "Ouverte jusqu'au {date}",
    "closed_on": "Close le {date}",
    "published_on": "Publiée le {date}",
    "created_on": "Déposée le {date}",
    "minimum_level": "Niveau d'identité exigé des signataires : {level}",
    "acr_eidas1": "faible (eIDAS 1)",
    "acr_eidas2": "substantiel (eIDAS 2)",
    "acr_eidas3": "élevé (eIDAS 3)",
    "count_heading": "Signatures",
    "sign_heading": "Signer cette pétition",
    "sign_intro": (
        "Votre signature est enregistrée sous un identifiant propre à ce service : "
        "votre nom n'est ni conservé ni publié."
    ),
    "departement_label": "Votre département (facultatif)",
    "departement_hint": (
        "Code INSEE, par exemple 75, 2A ou 971 ; il sert au décompte par département."
    ),
    "sign_button": "Signer la pétition",
    "sign_in_to_sign": "Se connecter pour signer",
    "sign_in_to_sign_intro": "Pour signer, connectez-vous avec votre identité numérique.",
    "signed_already": "Vous avez signé cette pétition le {date}.",
    "withdraw_button": "Retirer ma signature",
    "see_receipt": "Voir mon récépissé",
    "not_open_notice": "Cette pétition n'accepte pas de signatures.",
    "awaiting_moderation_notice": (
        "Cette pétition attend la relecture d'un modérateur ; elle n'est pas encore publique."
    ),
    "rejected_notice": "Cette pétition a été rejetée. Motif : {reason}",
    "by_departement_heading": "Signatures par département",
    "departement_column": "Département",
    "count_column": "Signatures",
    "back_to_list": "Retour à la liste des pétitions",
    "receipt_title": "Merci, votre signature est enregistrée",
    "receipt_intro": (
        "Votre signature est inscrite au journal public de transparence sous l'engagement"
        " ci-dessous, sans votre nom. Le secret permet de montrer que cet engagement est le"
        " vôtre ; la preuve, qu'il figure dans le journal. Le décompte, que chacun peut refaire"
        " à partir du journal, dit quelles signatures sont comptées."
    ),
    "receipt_commitment": "Engagement (dans le journal public)",
    "receipt_secret": "Secret du récépissé",
    "receipt_secret_note": (
        "Notez ou téléchargez ce secret maintenant : le hub l'a créé, vous le montre cette seule"
        " fois et ne le conserve pas. Ne le partagez pas : qui le détient peut montrer que cette"
        " signature est la vôtre."
    ),
    "receipt_browser_secret_note": (
        "Votre navigateur a créé ce secret ; le hub ne l'a jamais reçu, il ne connaît que"
        " l'engagement. Notez-le maintenant : ce navigateur ne le garde que jusqu'à la fermeture"
        " de cet onglet, et personne ne pourra vous le redonner. Ne le partagez pas : qui le"
        " détient peut montrer que cette signature est la vôtre."
    ),
    "receipt_browser_secret_missing": (
        "Votre navigateur a créé le secret de ce récépissé et ne l'a pas envoyé au hub. Il n'est"
        " plus dans cet onglet, et le hub ne peut pas vous le redonner."
    ),
    "receipt_secret_placeholder": "VOTRE_SECRET",
    "receipt_proof": "Télécharger la preuve (.tlog-proof)",
    "receipt_proof_note": (
        "La preuve d'inclusion est disponible quelques secondes après la signature. Pour la"
        " vérifier sur votre ordinateur, sans faire confiance au hub :"
    ),
    "receipt_petition": "Pétition",
    "receipt_signature_id": "Numéro de signature",
    "receipt_signed_at": "Date et heure (UTC)",
    "receipt_hash": "Empreinte (SHA-256)",
    "receipt_back": "Retour à la pétition",
    "receipt_missing": "Aucun récépissé n'est conservé pour cette pétition dans cette session.",
    "err_sign_in_again": "Pour signer, reconnectez-vous (votre connexion est trop ancienne).",
    "err_wrong_receipt_secret": "Ce secret de récépissé n'est pas celui de votre signature.",
    "err_invalid_commitment": (
        "Le récépissé préparé par votre navigateur n'est pas valide. Rechargez la page et signez"
        " à nouveau."
    ),
    "err_invalid_receipt_secret": (
        "Le secret de récépissé envoyé par votre navigateur n'est pas valide. Rechargez la page"
        " et réessayez."
    ),
    "new_title": "Créer une pétition",
    "new_intro": "Un modérateur relit chaque pétition avant de la publier.",
    "required_note": "Tous les champs sont obligatoires.",
    "title_label": "Titre",
    "title_hint": "Entre {min} et {max} caractères.",
    "text_label": "Texte de la pétition",
    "text_hint": "Entre {min} et {max} caractères. Dites ce que vous demandez et pourquoi.",
    "min_acr_legend": "Niveau d'identité exigé des signataires",
    "submit_petition": "Envoyer la pétition",
    "error_summary_title": "Le formulaire contient des erreurs",
    "error_title_length": "Le titre doit comporter entre {min} et {max} caractères.",
    "error_text_length": "Le texte doit comporter entre {min} et {max} caractères.",
    "error_min_acr": "Choisissez un niveau d'identité.",
    "error_departement": "Le département doit être un code INSEE, par exemple 75, 2A ou 971.",
    "error_reason_required": "Choisissez un motif de rejet.",
    "flash_created": "Votre pétition est enregistrée ; elle attend la modération.",
    "flash_withdrawn": "Votre signature a été retirée.",
    "flash_session_expired": "Votre session a expiré : connectez-vous à nouveau.",
    "flash_csrf": "Le formulaire a expiré : veuillez réessayer.",
    "flash_published": "La pétition est publiée.",
    "flash_rejected": "La pétition est rejetée.",
    "flash_hidden": "La pétition est masquée.",
    "flash_closed": "La pétition est close.",
    "flash_signed_in": "Vous êtes connecté(e).",
    "err_already_signed": "Vous avez déjà signé cette pétition.",
    "err_acr_too_low": (
        "Cette pétition exige une identité vérifiée à un niveau plus élevé que la vôtre."
    ),
    "err_not_adult": "Seules les personnes majeures peuvent signer une pétition.",
    "err_petition_closed": "Cette pétition est close.",
    "err_petition_not_open": "Cette pétition n'est pas ouverte aux signatures.",
    "err_not_signed": "Vous n'avez pas signé cette pétition.",
    "err_invalid_transition": "Cette action n'est plus possible : la pétition a changé d'état.",
    "err_forbidden": "Vous n'avez pas le droit de faire cela.",
    "err_not_found": "Cette pétition n'existe pas ou n'est pas publique.",
    "err_generic": "L'action n'a pas pu aboutir.",
    "my_title": "Mes signatures",
    "my_intro": "Les pétitions que vous avez signées avec cette identité.",
    "my_empty": "Vous n'avez encore signé aucune pétition.",
    "petition_column": "Pétition",
    "signed_on_column": "Signée le",
    "status_column": "État",
    "signed_out_title": "Vous êtes déconnecté(e)",
    "signed_out_text": "Votre session sur ce service est terminée.",
    "login_failed_title": "La connexion n'a pas abouti",
    "login_denied": "La connexion a été annulée ou refusée par le fournisseur d'identité.",
    "login_refused": "La réponse du service d'identité n'a pas pu être vérifiée.",
    "login_state_mismatch": (
        "Cette connexion a expiré ou a été commencée dans un autre navigateur."
    ),
    "login_unavailable": "Le service d'identité ne répond pas ; réessayez dans quelques minutes.",
    "try_again": "Réessayer",
    "not_found_title": "Page introuvable",
    "not_found_text": "Cette page n'existe pas, ou cette pétition n'est pas publique.",
    "forbidden_title": "Accès refusé",
    "forbidden_text": "Vous n'avez pas le droit de faire cela.",
    "op_login_title": "Connexion des modérateurs",
    "op_login_intro": (
        "Saisissez l'identifiant et le secret de votre client opérateur "
        "(créé avec « hub clients create --kind operator »)."
    ),
    "op_client_id": "Identifiant du client",
    "op_client_secret": "Secret du client",
    "op_sign_in": "Se connecter",
    "op_login_error": ("Identifiant ou secret incorrect, ou client sans droit de modération."),
    "op_login_rate_limited": (
        "Trop de connexions échouées depuis votre adresse. Réessayez dans {seconds} s."
    ),
    "op_error_required": "Saisissez l'identifiant et le secret du client.",
    "moderation_title": "Modération",
    "moderation_tabs_label": "Pétitions par état",
    "moderation_tab_submitted": "À modérer",
    "moderation_tab_open": "Ouvertes",
    "moderation_tab_closed": "Closes",
    "moderation_empty": "Aucune pétition dans cette liste.",
    "publish_button": "Publier",
    "reject_button": "Rejeter",
    "reason_label": "Motif du rejet",
    "reason_choose": "Choisissez un motif",
    "hide_button": "Masquer",
    "close_button": "Clore maintenant",
    "reason_duplicate": "Une pétition ouverte demande déjà la même chose.",
    "reason_not_actionable": "Elle ne demande rien que les pouvoirs publics puissent faire.",
    "reason_unlawful": "Elle est illégale, diffamatoire ou incite à la haine.",
    "reason_personal_data": "Elle nomme ou expose des personnes privées.",
    "reason_advertising": "Elle fait la promotion d'un produit, d'un service ou d'une entreprise.",
    "reason_unclear": "Elle est trop confuse pour donner lieu à une action.",
    "reason_offensive": "Elle contient des propos injurieux ou offensants.",
}

EN: dict[str, str] = {
    "site_name": "Citizens' petitions",
    "skip_to_content": "Skip to content",
    "nav_label": "Main menu",
    "nav_petitions": "Petitions",
    "nav_new": "Create a petition",
    "nav_my_signatures": "My signatures",
    "nav_moderation": "Moderation",
    "sign_in": "Sign in",
    "sign_out": "Sign out",
    "change_language": "Language",
    "footer_text": "Citizen participation hub (demonstration).",
    "footer_open_data": "Open data (CSV)",
    "error_title_prefix": "Error: ",
    "list_title": "Petitions",
    "list_intro": "Sign open petitions with your verified digital identity.",
    "search_legend": "Search",
    "search_label": "Keywords",
    "status_label": "Status",
    "status_any": "Open and closed",
    "search_button": "Search",
    "list_empty": "No petition matches your search.",
    "pagination_label": "Pagination",
    "previous_page": "Previous page",
    "next_page": "Next page",
    "signatures_one": "{count} signature",
    "signatures_other": "{count} signatures",
    "status_open": "Open",
    "status_closed": "Closed",
    "status_draft": "Draft",
    "status_submitted": "Awaiting moderation",
    "status_rejected": "Rejected",
    "status_withdrawn": "Withdrawn",
    "status_hidden": "Hidden",
    "open_until": "Open until {date}",
    "closed_on": "Closed on {date}",
    "published_on": "Published on {date}",
    "created_on": "Submitted on {date}",
    "minimum_level": "Identity level required of signers: {level}",
    "acr_eidas1": "low (eIDAS 1)",
    "acr_eidas2": "substantial (eIDAS 2)",
    "acr_eidas3": "high (eIDAS 3)",
    "count_heading": "Signatures",
    "sign_heading": "Sign this petition",
    "sign_intro": (
        "Your signature is recorded under an identifier specific to this service: "
        "your name is neither kept nor published."
    ),
    "departement_label": "Your département (optional)",
    "departement_hint": (
        "INSEE code, for example 75, 2A or 971; used for the counts by département."
    ),
    "sign_button": "Sign the petition",
    "sign_in_to_sign": "Sign in to sign",
    "sign_in_to_sign_intro": "To sign, sign in with your digital identity.",
    "signed_already": "You signed this petition on {date}.",
    "withdraw_button": "Withdraw my signature",
    "see_receipt": "See my receipt",
    "not_open_notice": "This petition does not accept signatures.",
    "awaiting_moderation_notice": (
        "This petition awaits review by a moderator; it is not public yet."
    ),
    "rejected_notice": "This petition was rejected. Reason: {reason}",
    "by_departement_heading": "Signatures by département",
    "departement_column": "Département",
    "count_column": "Signatures",
    "back_to_list": "Back to the list of petitions",
    "receipt_title": "Thank you, your signature is recorded",
    "receipt_intro": (
        "Your signature is in the public transparency log under the commitment below, without"
        " your name. The secret lets you show that this commitment is yours; the proof, that it"
        " is in the log. The count, which anyone can redo from the log, tells which signatures"
        " are counted."
    ),
    "receipt_commitment": "Commitment (in the public log)",
    "receipt_secret": "Receipt secret",
    "receipt_secret_note": (
        "Write down or download this secret now: the hub made it, shows it to you this once and"
        " does not keep it. Do not share it: whoever holds it can show that this signature is"
        " yours."
    ),
    "receipt_browser_secret_note": (
        "Your browser made this secret; the hub never received it and knows only the"
        " commitment. Write it down now: this browser keeps it only until this tab is closed,"
        " and nobody can give it back to you. Do not share it: whoever holds it can show that"
        " this signature is yours."
    ),
    "receipt_browser_secret_missing": (
        "Your browser made this receipt's secret and did not send it to the hub. It is no longer"
        " in this tab, and the hub cannot give it back to you."
    ),
    "receipt_secret_placeholder": "YOUR_SECRET",
    "receipt_proof": "Download the proof (.tlog-proof)",
    "receipt_proof_note": (
        "The inclusion proof is available a few seconds after signing. To check it on your own"
        " computer, without trusting the hub:"
    ),
    "receipt_petition": "Petition",
    "receipt_signature_id": "Signature number",
    "receipt_signed_at": "Date and time (UTC)",
    "receipt_hash": "Fingerprint (SHA-256)",
    "receipt_back": "Back to the petition",
    "receipt_missing": "No receipt for this petition is kept in this session.",
    "err_sign_in_again": "To sign, please sign in again (your sign-in is too old).",
    "err_wrong_receipt_secret": "This receipt secret is not the one of your signature.",
    "err_invalid_commitment": (
        "The receipt your browser prepared is not valid. Reload the page and sign again."
    ),
    "err_invalid_receipt_secret": (
        "The receipt secret your browser sent is not valid. Reload the page and try again."
    ),
    "new_title": "Create a petition",
    "new_intro": "A moderator reviews every petition before publishing it.",
    "required_note": "All fields are required.",
    "title_label": "Title",
    "title_hint": "{min} to {max} characters.",
    "text_label": "Text of the petition",
    "text_hint": "{min} to {max} characters. Say what you ask for and why.",
    "min_acr_legend": "Identity level required of signers",
    "submit_petition": "Submit the petition",
    "error_summary_title": "There is a problem",
    "error_title_length": "The title must be {min} to {max} characters long.",
    "error_text_length": "The text must be {min} to {max} characters long.",
    "error_min_acr": "Choose an identity level.",
    "error_departement": "The département must be an INSEE code, for example 75, 2A or 971.",
    "error_reason_required": "Choose a reason for the rejection.",
    "flash_created": "Your petition is saved; it awaits moderation.",
    "flash_withdrawn": "Your signature has been withdrawn.",
    "flash_session_expired": "Your session has expired: please sign in again.",
    "flash_csrf": "The form has expired: please try again.",
    "flash_published": "The petition is published.",
    "flash_rejected": "The petition is rejected.",
    "flash_hidden": "The petition is hidden.",
    "flash_closed": "The petition is closed.",
    "flash_signed_in": "You are signed in.",
    "err_already_signed": "You have already signed this petition.",
    "err_acr_too_low": "This petition requires an identity verified at a higher level than yours.",
    "err_not_adult": "Only adults may sign a petition.",
    "err_petition_closed": "This petition is closed.",
    "err_petition_not_open": "This petition is not open for signatures.",
    "err_not_signed": "You have not signed this petition.",
    "err_invalid_transition": "This action is no longer possible: the petition's status changed.",
    "err_forbidden": "You are not allowed to do this.",
    "err_not_found": "This petition does not exist or is not public.",
    "err_generic": "The action could not be completed.",
    "my_title": "My signatures",
    "my_intro": "The petitions you signed with this identity.",
    "my_empty": "You have not signed any petition yet.",
    "petition_column": "Petition",
    "signed_on_column": "Signed on",
    "status_column": "Status",
    "signed_out_title": "You are signed out",
    "signed_out_text": "Your session on this service has ended.",
    "login_failed_title": "Sign-in did not complete",
    "login_denied": "The sign-in was cancelled or refused by the identity provider.",
    "login_refused": "The identity service's answer could not be verified.",
    "login_state_mismatch": "This sign-in has expired or was started in another browser.",
    "login_unavailable": "The identity service does not answer; try again in a few minutes.",
    "try_again": "Try again",
    "not_found_title": "Page not found",
    "not_found_text": "This page does not exist, or this petition is not public.",
    "forbidden_title": "Access denied",
    "forbidden_text": "You are not allowed to do this.",
    "op_login_title": "Moderators' sign-in",
    "op_login_intro": (
        "Enter the id and secret of your operator client "
        "(made with “hub clients create --kind operator”)."
    ),
    "op_client_id": "Client id",
    "op_client_secret": "Client secret",
    "op_sign_in": "Sign in",
    "op_login_error": "Wrong id or secret, or a client without the moderation scope.",
    "op_login_rate_limited": (
        "Too many failed sign-ins from your address. Try again in {seconds} s."
    ),
    "op_error_required": "Enter the client's id and secret.",
    "moderation_title": "Moderation",
    "moderation_tabs_label": "Petitions by status",
    "moderation_tab_submitted": "To moderate",
    "moderation_tab_open": "Open",
    "moderation_tab_closed": "Closed",
    "moderation_empty": "No petition in this list.",
    "publish_button": "Publish",
    "reject_button": "Reject",
    "reason_label": "Reason for rejection",
    "reason_choose": "Choose a reason",
    "hide_button": "Hide",
    "close_button": "Close now",
    "reason_duplicate": "An open petition already asks for the same thing.",
    "reason_not_actionable": "It does not ask for something the public authorities can do.",
    "reason_unlawful": "It is unlawful, defamatory or incites hatred.",
    "reason_personal_data": "It names or exposes private individuals.",
    "reason_advertising": "It promotes a product, service or business.",
    "reason_unclear": "It is too unclear to be acted upon.",
    "reason_offensive": "It contains offensive or abusive language.",
}
