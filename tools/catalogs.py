"""Compile pvscan's gettext catalogs: the CLI's (``scanner/util/locale``, domain
``pvscan``) and the web app's (``scanner/web/locale``, domain ``django``).

The CLI's ``.po`` files are the source (keys as message ids, bokmål the source text):
edit them with any translation tool and run ``python tools/catalogs.py``.
For the web app, ``python tools/catalogs.py`` first extracts the messages of the templates and views with
Django's ``makemessages`` (GNU gettext's ``xgettext``), fills in the bokmål and nynorsk
wording from ``TRANSLATIONS`` below (translators may edit the ``.po`` files with any
tool instead), and compiles the ``.mo`` files with Babel. English is the source
language (msgid = English). A message without a translation stops it with a list.
"""

from __future__ import annotations

import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from pvscan.web import settings

LOCALE = Path(__file__).resolve().parents[1] / "scanner" / "web" / "locale"
CLI_LOCALE = Path(__file__).resolve().parents[1] / "scanner" / "util" / "locale"

# msgid -> (bokmål, nynorsk); a tuple msgid is (singular, plural) with plural translations.
TRANSLATIONS: dict[object, tuple[object, object]] = {
    "Fødselsnummer, D-nummer, kontonummer, name, e-mail or phone (one per line)": (
        "Fødselsnummer, D-nummer, kontonummer, navn, e-post eller telefon (én per linje)",
        "Fødselsnummer, D-nummer, kontonummer, namn, e-post eller telefon (éin per linje)",
    ),
    "Check the search keys: one per line, each a fødselsnummer, D-nummer, kontonummer, full name, e-mail address or phone number.": (
        "Sjekk søkenøklene: én per linje, hver et fødselsnummer, D-nummer, kontonummer, fullt navn, en e-postadresse eller et telefonnummer.",
        "Sjekk søkjenøklane: éin per linje, kvar eit fødselsnummer, D-nummer, kontonummer, fullt namn, ei e-postadresse eller eit telefonnummer.",
    ),
    "When": ("Når", "Når"),
    "Who": ("Hvem", "Kven"),
    "What": ("Hva", "Kva"),
    "Target": ("Gjelder", "Gjeld"),
    "Detail": ("Detaljer", "Detaljar"),
    "Skip to content": ("Gå til innholdet", "Gå til innhaldet"),
    "Main menu": ("Hovedmeny", "Hovudmeny"),
    "Language": ("Språk", "Språk"),
    "Change": ("Bytt", "Byt"),
    "Sign out": ("Logg ut", "Logg ut"),
    "Person (masked)": ("Person (maskert)", "Person (maskert)"),
    "Opened": ("Opprettet", "Oppretta"),
    "Download the overview:": ("Last ned oversikten:", "Last ned oversikta:"),
    "File": ("Fil", "Fil"),
    "Where in the file": ("Hvor i filen", "Kvar i fila"),
    "Type": ("Type", "Type"),
    "Value (masked)": ("Verdi (maskert)", "Verdi (maskert)"),
    "Owner": ("Eier", "Eigar"),
    "Nothing found about this person.": (
        "Fant ingenting om denne personen.",
        "Fann ingenting om denne personen.",
    ),
    "Fødselsnummer, D-nummer or kontonummer (one per line)": (
        "Fødselsnummer, D-nummer eller kontonummer (ett per linje)",
        "Fødselsnummer, D-nummer eller kontonummer (eitt per linje)",
    ),
    "Open case": ("Opprett sak", "Opprett sak"),
    "Cases": ("Saker", "Saker"),
    "Case": ("Sak", "Sak"),
    "By": ("Av", "Av"),
    "Files": ("Filer", "Filer"),
    "The handbook's checklist (9.1), filled in from your findings. Answer the questions marked for you, and keep a copy.": (
        "Sjekklisten fra håndboken (9.1), fylt ut fra funnene dine. Svar på spørsmålene som er merket for deg, og ta vare på en kopi.",
        "Sjekklista frå handboka (9.1), fylt ut frå funna dine. Svar på spørsmåla som er merkte for deg, og ta vare på ein kopi.",
    ),
    "Download as Word document": ("Last ned som Word-dokument", "Last ned som Word-dokument"),
    "Open": ("Åpne", "Opne"),
    "Handled": ("Behandlet", "Behandla"),
    "Handled share": ("Andel behandlet", "Del behandla"),
    "files open": ("filer åpne", "filer opne"),
    "handled": ("behandlet", "behandla"),
    "%(share)s %% handled": ("%(share)s %% behandlet", "%(share)s %% behandla"),
    ("%(n)s undistributed file", "%(n)s undistributed files"): (
        ("%(n)s fil uten eier", "%(n)s filer uten eier"),
        ("%(n)s fil utan eigar", "%(n)s filer utan eigar"),
    ),
    "By unit": ("Etter enhet", "Etter eining"),
    "Unit": ("Enhet", "Eining"),
    "By category": ("Etter kategori", "Etter kategori"),
    "Category": ("Kategori", "Kategori"),
    "By source": ("Etter kilde", "Etter kjelde"),
    "Source": ("Kilde", "Kjelde"),
    "Special categories in shares and mailboxes": (
        "Særlige kategorier i fellesområder og e-post",
        "Særlege kategoriar i fellesområde og e-post",
    ),
    "The handbook does not allow health data and other special categories in shares, home folders or e-mail.": (
        "Håndboken tillater ikke helseopplysninger og andre særlige kategorier i fellesområder, hjemmeområder eller e-post.",
        "Handboka tillèt ikkje helseopplysningar og andre særlege kategoriar i fellesområde, heimeområde eller e-post.",
    ),
    "Older than the retention period": ("Eldre enn lagringstiden", "Eldre enn lagringstida"),
    "Where": ("Hvor", "Kvar"),
    "Retention (days)": ("Lagringstid (dager)", "Lagringstid (dagar)"),
    "Open files past it": ("Åpne filer over tiden", "Opne filer over tida"),
    "No retention period is configured.": ("Ingen lagringstid er satt opp.", "Inga lagringstid er sett opp."),
    "Monthly trend": ("Utvikling per måned", "Utvikling per månad"),
    "Coverage: what could not be read": (
        "Dekning: hva som ikke kunne leses",
        "Dekning: kva som ikkje kunne lesast",
    ),
    "Reason": ("Grunn", "Grunn"),
    "Count": ("Antall", "Tal"),
    "Everything could be read.": ("Alt kunne leses.", "Alt kunne lesast."),
    "In quarantine": ("I karantene", "I karantene"),
    "Purged on": ("Slettes endelig", "Blir sletta endeleg"),
    "Nothing in quarantine.": ("Ingenting i karantene.", "Ingenting i karantene."),
    "These files and e-mails of yours contain personal data. Delete what you no longer need, move case documents to the case archive, or note why a file is kept.": (
        "Disse filene og e-postene dine inneholder personopplysninger. Slett det du ikke trenger lenger, flytt saksdokumenter til sakarkivet, eller skriv hvorfor en fil beholdes.",
        "Desse filene og e-postane dine inneheld personopplysningar. Slett det du ikkje treng lenger, flytt saksdokument til sakarkivet, eller skriv kvifor ei fil blir halden på.",
    ),
    ("%(n)s file updated.", "%(n)s files updated."): (
        ("%(n)s fil oppdatert.", "%(n)s filer oppdatert."),
        ("%(n)s fil oppdatert.", "%(n)s filer oppdaterte."),
    ),
    "Status": ("Status", "Status"),
    "All types": ("Alle typer", "Alle typar"),
    "File name": ("Filnavn", "Filnamn"),
    "Filter": ("Filtrer", "Filtrer"),
    "Back to my files": ("Tilbake til filene mine", "Tilbake til filene mine"),
    "Saved.": ("Lagret.", "Lagra."),
    "The file was moved to quarantine. It can be restored for %(days)s days.": (
        "Filen er flyttet til karantene. Den kan gjenopprettes i %(days)s dager.",
        "Fila er flytta til karantene. Ho kan gjenopprettast i %(days)s dagar.",
    ),
    "The file was restored to its place.": (
        "Filen er lagt tilbake på plassen sin.",
        "Fila er lagd tilbake på plassen sin.",
    ),
    "Marked as a false positive. Later scans will skip it.": (
        "Merket som falskt funn. Senere skanninger hopper over det.",
        "Merkt som falskt funn. Seinare skanningar hoppar over det.",
    ),
    "Give a reason for keeping the file.": (
        "Skriv hvorfor filen beholdes.",
        "Skriv kvifor fila blir halden på.",
    ),
    "The file changed after it was scanned; it was not deleted.": (
        "Filen er endret etter skanningen; den ble ikke slettet.",
        "Fila er endra etter skanninga; ho vart ikkje sletta.",
    ),
    "Deletion from here is switched off.": ("Sletting herfra er slått av.", "Sletting herifrå er slått av."),
    "It could not be done:": ("Det gikk ikke:", "Det gjekk ikkje:"),
    "Changed": ("Endret", "Endra"),
    "past retention": ("over lagringstiden", "over lagringstida"),
    "Findings": ("Funn", "Funn"),
    "Action": ("Handling", "Handling"),
    "Not personal data": ("Ikke personopplysning", "Ikkje personopplysning"),
    "No findings left.": ("Ingen funn igjen.", "Ingen funn att."),
    "Handle the file": ("Behandle filen", "Behandle fila"),
    "Reason (needed for kept)": (
        "Grunn (må fylles ut for «beholdt»)",
        "Grunn (må fyllast ut for «halden på»)",
    ),
    "Save": ("Lagre", "Lagre"),
    "Deleting moves the file to quarantine; it can be restored for %(days)s days.": (
        "Sletting flytter filen til karantene; den kan gjenopprettes i %(days)s dager.",
        "Sletting flyttar fila til karantene; ho kan gjenopprettast i %(days)s dagar.",
    ),
    "Delete the file": ("Slett filen", "Slett fila"),
    "Restore the file": ("Gjenopprett filen", "Gjenopprett fila"),
    ("%(n)s file", "%(n)s files"): (("%(n)s fil", "%(n)s filer"), ("%(n)s fil", "%(n)s filer")),
    "Files with findings, most sensitive and newest first": (
        "Filer med funn, de mest sensitive og nyeste først",
        "Filer med funn, dei mest sensitive og nyaste først",
    ),
    "Select": ("Velg", "Vel"),
    "Found": ("Funnet", "Funne"),
    "Select %(name)s": ("Velg %(name)s", "Vel %(name)s"),
    "special category": ("særlig kategori", "særleg kategori"),
    "Mark the selected files as": ("Merk de valgte filene som", "Merk dei valde filene som"),
    "Nothing here. Well done!": ("Ingenting her. Godt jobbet!", "Ingenting her. Godt jobba!"),
    "Follow-up in %(units)s: open and handled files with personal data per person.": (
        "Oppfølging i %(units)s: åpne og behandlede filer med personopplysninger per person.",
        "Oppfølging i %(units)s: opne og behandla filer med personopplysningar per person.",
    ),
    "open": ("åpne", "opne"),
    "Person": ("Person", "Person"),
    "Special categories open": ("Særlige kategorier åpne", "Særlege kategoriar opne"),
    "Oldest open (days)": ("Eldste åpne (dager)", "Eldste opne (dagar)"),
    "No findings in your unit.": ("Ingen funn i enheten din.", "Ingen funn i eininga di."),
    "Trend, last weeks": ("Utvikling siste uker", "Utvikling siste veker"),
    "Pages": ("Sider", "Sider"),
    "Previous": ("Forrige", "Førre"),
    "Page %(page)s of %(pages)s": ("Side %(page)s av %(pages)s", "Side %(page)s av %(pages)s"),
    "Next": ("Neste", "Neste"),
    "Period": ("Periode", "Periode"),
    "No history yet.": ("Ingen historikk ennå.", "Ingen historikk enno."),
    "No rule gives these files an owner. Add a home-folder rule or a fallback person for their root in the configuration.": (
        "Ingen regel gir disse filene en eier. Legg til en regel for hjemmeområder eller en reserveperson for området i konfigurasjonen.",
        "Ingen regel gir desse filene ein eigar. Legg til ein regel for heimeområde eller ein reserveperson for området i konfigurasjonen.",
    ),
    "Root": ("Område", "Område"),
    "Sign in": ("Logg inn", "Logg inn"),
    "Open the link pvscan printed when it started.": (
        "Åpne lenken pvscan skrev ut da det startet.",
        "Opne lenkja pvscan skreiv ut då det starta.",
    ),
    "This link is not valid (any more).": (
        "Lenken er ikke gyldig (lenger).",
        "Lenkja er ikkje gyldig (lenger).",
    ),
    "Sign-in failed. Try again.": (
        "Innloggingen mislyktes. Prøv igjen.",
        "Innlogginga mislukkast. Prøv igjen.",
    ),
    "Signed out": ("Logget ut", "Logga ut"),
    "You are signed out.": ("Du er logget ut.", "Du er logga ut."),
    "My files": ("Mine filer", "Filene mine"),
    "Checklist": ("Sjekkliste", "Sjekkliste"),
    "My unit": ("Min enhet", "Eininga mi"),
    "Overview": ("Oversikt", "Oversikt"),
    "Access requests": ("Innsyn", "Innsyn"),
    "Audit log": ("Logg", "Logg"),
    "The form expired": ("Skjemaet er utløpt", "Skjemaet har gått ut"),
    "Reload the page and try again.": (
        "Last siden på nytt og prøv igjen.",
        "Last sida på nytt og prøv igjen.",
    ),
    "Not available": ("Ikke tilgjengelig", "Ikkje tilgjengeleg"),
    "This page is not available to you.": (
        "Denne siden er ikke tilgjengelig for deg.",
        "Denne sida er ikkje tilgjengeleg for deg.",
    ),
    "(no unit)": ("(ingen enhet)", "(inga eining)"),
    "Whole organisation": ("Hele organisasjonen", "Heile organisasjonen"),
    "Overview for the privacy officer": ("Oversikt for personvernombudet", "Oversikt for personvernombodet"),
    "Undistributed findings": ("Funn uten eier", "Funn utan eigar"),
    "Give one or more 11-digit numbers (fødselsnummer, D-nummer or kontonummer).": (
        "Skriv ett eller flere 11-sifrede numre (fødselsnummer, D-nummer eller kontonummer).",
        "Skriv eitt eller fleire 11-sifra nummer (fødselsnummer, D-nummer eller kontonummer).",
    ),
    "Access request %(id)s": ("Innsynssak %(id)s", "Innsynssak %(id)s"),
    "My files with personal data": (
        "Mine filer med personopplysninger",
        "Filene mine med personopplysningar",
    ),
    "All": ("Alle", "Alle"),
    "Checklist for unstructured personal data": (
        "Sjekkliste for ustrukturerte personopplysninger",
        "Sjekkliste for ustrukturerte personopplysningar",
    ),
    "Done": ("Ferdig", "Ferdig"),
    "Followed up": ("Fulgt opp", "Følgd opp"),
    "Old findings open": ("Gamle funn åpne", "Gamle funn opne"),
    "Needs follow-up": ("Trenger oppfølging", "Treng oppfølging"),
    "Hand to": ("Gi til", "Gi til"),
    "Hand out": ("Del ut", "Del ut"),
    "Past the retention period": ("Over lagringstiden", "Over lagringstida"),
    "The deletion plan was carried out.": ("Sletteplanen er gjennomført.", "Sletteplanen er gjennomført."),
    "That plan is no longer waiting.": ("Den planen venter ikke lenger.", "Den planen ventar ikkje lenger."),
    "Deletion plans waiting for approval": (
        "Sletteplaner som venter på godkjenning",
        "Sletteplanar som ventar på godkjenning",
    ),
    "Plan": ("Plan", "Plan"),
    "Made": ("Laget", "Laga"),
    "To delete": ("Skal slettes", "Skal slettast"),
    "Kept": ("Beholdes", "Blir haldne på"),
    "Other": ("Annet", "Anna"),
    "Approve and carry out": ("Godkjenn og gjennomfør", "Godkjenn og gjennomfør"),
    "No plans are waiting.": ("Ingen planer venter.", "Ingen planar ventar."),
    "Also make copies with other persons' numbers blacked out": (
        "Lag også kopier der andre personers numre er sladdet",
        "Lag også kopiar der andre personar sine nummer er sladda",
    ),
    "Copies with other persons' numbers blacked out": (
        "Kopier der andre personers numre er sladdet",
        "Kopiar der andre personar sine nummer er sladda",
    ),
    "Read each copy before handing it out: names of other people are not detected.": (
        "Les hver kopi før den gis ut: navn på andre personer blir ikke funnet.",
        "Les kvar kopi før han blir gitt ut: namn på andre personar blir ikkje funne.",
    ),
}


def extract() -> None:
    # Deferred: Django is only needed for the extraction step.
    from django.core.management import call_command

    settings.setup()
    here = os.getcwd()
    os.chdir(LOCALE.parent)
    try:
        call_command(
            "makemessages", locale=["nb", "nn", "en"], no_obsolete=True, add_location="file", verbosity=0
        )
    finally:
        os.chdir(here)


def compile_cli() -> None:
    for po in sorted(CLI_LOCALE.glob("*/LC_MESSAGES/pvscan.po")):
        with open(po, "rb") as fh:
            catalog = read_po(fh, locale=po.parts[-3])
        with open(po.with_suffix(".mo"), "wb") as fh:
            write_mo(fh, catalog)


def main() -> None:
    compile_cli()
    extract()
    missing = []
    for index, lang in enumerate(("nb", "nn", "en")):
        po = LOCALE / lang / "LC_MESSAGES" / "django.po"
        with open(po, "rb") as fh:
            catalog = read_po(fh, locale=lang)
        for message in catalog:
            if not message.id:
                continue
            if lang == "en":
                message.string = ("", "") if isinstance(message.id, tuple) else ""
                continue
            found = TRANSLATIONS.get(message.id)
            if found is None:
                missing.append(message.id)
                continue
            message.string = found[index]
            message.flags.discard("fuzzy")
        with open(po, "wb") as fh:
            write_po(fh, catalog, width=100)
        with open(po.with_suffix(".mo"), "wb") as fh:
            write_mo(fh, catalog)
    if missing:
        raise SystemExit(f"no translation for: {missing}")


if __name__ == "__main__":
    main()
