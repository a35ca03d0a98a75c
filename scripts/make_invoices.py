#!/usr/bin/env python3
"""Write the synthetic invoices of tests/fixtures/extract/invoices/: NAME.words.json (words
with boxes, as an OCR engine or a PDF text layer gives them) and NAME.answers.json.

Invoices in English, German, French, Dutch and Polish, in several layouts (labels left of
values, labels above values in a header table, issuer top-left or top-right, totals block
or totals line), with made-up issuers, numbers and amounts. Deterministic (seeded), standard
library only:

    python3 scripts/make_invoices.py tests/fixtures/extract/invoices
"""
import json
import os
import random
import sys

W, H = 2480, 3508  # A4 at 300 dpi

LANGS = {
    "en": dict(title="INVOICE", number=["Invoice No:", "Invoice Number:", "Invoice #"], date=["Invoice Date:", "Date:", "Issue date:"],
               due=["Due Date:", "Payment due:"], bill=["Bill To:", "Billed to:"], desc="Description", qty="Qty", price="Unit price",
               amount="Amount", sub="Subtotal", vat="VAT", total=["Total due", "Amount due", "Balance due", "TOTAL"],
               order="Order No:", cust="Customer ID:", thanks="Thank you for your business."),
    "de": dict(title="RECHNUNG", number=["Rechnungsnummer:", "Rechnung Nr.", "Rechnungs-Nr.:"], date=["Rechnungsdatum:", "Datum:"],
               due=["Fällig am:", "Zahlbar bis:"], bill=["Rechnungsempfänger:", "An:"], desc="Beschreibung", qty="Menge", price="Einzelpreis",
               amount="Betrag", sub="Zwischensumme", vat="MwSt. 19%", total=["Gesamtbetrag", "Rechnungsbetrag", "Zu zahlen"],
               order="Bestellnummer:", cust="Kundennummer:", thanks="Vielen Dank für Ihren Auftrag."),
    "fr": dict(title="FACTURE", number=["Facture N°", "Numéro de facture :", "N° de facture :"], date=["Date :", "Date de facture :"],
               due=["Échéance :", "Date d'échéance :"], bill=["Facturé à :", "Client :"], desc="Désignation", qty="Qté", price="Prix unitaire",
               amount="Montant", sub="Total HT", vat="TVA 20 %", total=["Total TTC", "Net à payer", "Montant total"],
               order="Commande n° :", cust="Réf. client :", thanks="Merci de votre confiance."),
    "nl": dict(title="FACTUUR", number=["Factuurnummer:", "Factuur nr.", "Factuurnr:"], date=["Factuurdatum:", "Datum:"],
               due=["Vervaldatum:", "Te betalen voor:"], bill=["Factuur aan:", "Klant:"], desc="Omschrijving", qty="Aantal", price="Prijs",
               amount="Bedrag", sub="Subtotaal", vat="BTW 21%", total=["Totaal te betalen", "Totaal", "Te betalen"],
               order="Ordernummer:", cust="Klantnummer:", thanks="Bedankt voor uw bestelling."),
    "pl": dict(title="FAKTURA VAT", number=["Faktura VAT nr", "Numer faktury:", "Nr faktury:"], date=["Data wystawienia:", "Data:"],
               due=["Termin płatności:", "Zapłata do:"], bill=["Nabywca:", "Odbiorca:"], desc="Nazwa towaru", qty="Ilość", price="Cena netto",
               amount="Wartość", sub="Razem netto", vat="VAT 23%", total=["Razem do zapłaty:", "Do zapłaty:", "Suma brutto"],
               order="Zamówienie nr:", cust="Nr klienta:", thanks="Dziękujemy za zakup."),
}

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"],
    "pl": ["stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"],
}

ISSUERS = {
    "en": ["Harbour Lane Consulting Ltd", "Bluefield Analytics Inc.", "Greystone Print Services Ltd"],
    "de": ["Nordlicht Software GmbH", "Bergmann & Söhne KG", "Rheinwerk Logistik AG"],
    "fr": ["Atelier Lumière SARL", "Boulangerie Dupont SAS", "Conseil Vauban SA"],
    "nl": ["Van Dijk Installatietechniek B.V.", "De Groene Fiets V.O.F.", "Kanaal Media B.V."],
    "pl": ["Bursztyn Sp. z o.o.", "Kowalski i Wspólnicy Sp. j.", "Wisła Trans S.A."],
}
CUSTOMERS = ["Acme Trading Co.", "Müller Handel GmbH", "Société Martin", "Jansen Retail B.V.", "Nowak Sp. z o.o."]
STREETS = {"en": "12 Harbour Street", "de": "Hauptstraße 17", "fr": "8 rue de la Paix", "nl": "Keizersgracht 221", "pl": "ul. Długa 5"}
CITIES = {"en": "Bristol BS1 4DJ", "de": "10115 Berlin", "fr": "75002 Paris", "nl": "1016 DV Amsterdam", "pl": "80-827 Gdańsk"}
CURRENCY = {"en": [("GBP", "£", "pre"), ("USD", "$", "pre")], "de": [("EUR", "€", "post"), ("EUR", "EUR", "post")],
            "fr": [("EUR", "€", "post"), ("EUR", "EUR", "post")], "nl": [("EUR", "€", "pre"), ("EUR", "EUR", "post")],
            "pl": [("PLN", "zł", "post"), ("PLN", "PLN", "post")]}


def money(v, lang):
    s = f"{v:,.2f}"  # 1,234.50
    if lang in ("de", "nl"):
        s = s.replace(",", "X").replace(".", ",").replace("X", ".")
    elif lang in ("fr", "pl"):
        s = s.replace(",", " ").replace(".", ",")
    return s


def with_currency(amount, cur):
    code, sym, where = cur
    return f"{sym}{amount}" if where == "pre" and len(sym) == 1 else (f"{sym} {amount}" if where == "pre" else f"{amount} {sym}")


def date_text(rng, lang, y, m, d):
    style = rng.randrange(3)
    if style == 0:
        if lang == "en":
            return f"{MONTHS['en'][m - 1]} {d}, {y}" if rng.random() < 0.5 else f"{d} {MONTHS['en'][m - 1]} {y}"
        return f"{d}{'.' if lang == 'de' else ''} {MONTHS[lang][m - 1]} {y}"
    if style == 1:
        return f"{y}-{m:02d}-{d:02d}"
    sep = {"de": ".", "pl": ".", "nl": "-"}.get(lang, "/")
    return f"{d:02d}{sep}{m:02d}{sep}{y}"


class Page:
    def __init__(self):
        self.words = []

    def text(self, s, x, y, size=36):
        cw = size * 0.55
        at = x
        for word in s.split():
            w = len(word) * cw
            self.words.append({"text": word, "bbox": [round(at, 1), y, round(at + w, 1), y + size], "confidence": 0.99})
            at += w + cw

    def right(self, s, x1, y, size=36):
        self.text(s, x1 - len(s) * size * 0.55, y, size)


def invoice(rng, lang, layout):
    L = LANGS[lang]
    p = Page()
    issuer = rng.choice(ISSUERS[lang])
    number = rng.choice([f"INV-{rng.randint(2021, 2025)}-{rng.randint(1, 9999):04d}", f"{rng.randint(10000, 99999)}",
                         f"RE{rng.randint(100, 999)}/{rng.randint(20, 25)}", f"F{rng.randint(2021, 2025)}{rng.randint(100, 999)}"])
    y, m, d = rng.randint(2021, 2025), rng.randint(1, 12), rng.randint(1, 28)
    date = date_text(rng, lang, y, m, d)
    due = date_text(rng, lang, y + (m == 12), m % 12 + 1, d)
    cur = rng.choice(CURRENCY[lang])
    items = [(rng.choice(["Consulting", "Licence", "Support", "Hosting", "Design", "Training"]), rng.randint(1, 12), rng.randint(20, 900) + 0.5 * rng.randint(0, 1)) for _ in range(rng.randint(2, 5))]
    sub = sum(q * u for _, q, u in items)
    vat = round(sub * 0.2, 2)
    total = round(sub + vat, 2)
    # Header: issuer block left or right, title opposite.
    left_issuer = layout in ("a", "c")
    ix = 150 if left_issuer else 1450
    p.text(issuer, ix, 150, 56)
    p.text(STREETS[lang], ix, 230)
    p.text(CITIES[lang], ix, 280)
    p.text(rng.choice(["Tel. +44 117 496 0000", "Tel. +49 30 1234567", "Tél. 01 23 45 67 89", "Tel. 020 123 4567", "tel. 58 123 45 67"]), ix, 330)
    p.text(L["title"], 1500 if left_issuer else 150, 150, 72)
    cust = rng.choice(CUSTOMERS)
    if layout in ("a", "b"):
        # Labels left, values right, in a block under the title.
        bx = 1450 if left_issuer else 150
        rows = [(rng.choice(L["number"]), number), (rng.choice(L["date"]), date), (rng.choice(L["due"]), due), (L["cust"], str(rng.randint(1000, 9999)))]
        rng.shuffle(rows[2:])
        for i, (label, value) in enumerate(rows):
            p.text(label, bx, 450 + i * 60)
            p.text(value, bx + 520, 450 + i * 60)
        p.text(rng.choice(L["bill"]), 150 if left_issuer else 1450, 450)
        p.text(cust, 150 if left_issuer else 1450, 510)
        top = 800
    else:
        # A header table: labels on one row, values below.
        p.text(rng.choice(L["bill"]), 150, 450)
        p.text(cust, 150, 510)
        cols = [(rng.choice(L["number"]).rstrip(":# "), number), (rng.choice(L["date"]).rstrip(": "), date), (L["order"].rstrip(": "), str(rng.randint(100000, 999999))), (rng.choice(L["due"]).rstrip(": "), due)]
        for i, (label, value) in enumerate(cols):
            p.text(label, 150 + i * 560, 700, 32)
            p.text(value, 150 + i * 560, 750)
        top = 900
    # Items table.
    p.text(L["desc"], 150, top, 32)
    p.text(L["qty"], 1100, top, 32)
    p.text(L["price"], 1400, top, 32)
    p.right(L["amount"], 2300, top, 32)
    yy = top + 70
    for name, q, u in items:
        p.text(name, 150, yy)
        p.text(str(q), 1100, yy)
        p.text(money(u, lang), 1400, yy)
        p.right(money(q * u, lang), 2300, yy)
        yy += 60
    yy += 60
    for label, value, final in [(L["sub"], sub, False), (L["vat"], vat, False), (rng.choice(L["total"]), total, True)]:
        amount = with_currency(money(value, lang), cur) if (final or rng.random() < 0.5) else money(value, lang)
        p.text(label, 1400, yy, 40 if final else 36)
        p.right(amount, 2300, yy, 40 if final else 36)
        yy += 70
    p.text(L["thanks"], 150, yy + 150)
    p.text(f"IBAN DE89 3704 0044 0532 0130 00", 150, 3300, 30)
    answers = {"invoice_number": number, "date": f"{y}-{m:02d}-{d:02d}", "amount": f"{total:.2f}", "currency": cur[0], "issuer": issuer}
    return {"pages": [{"width": W, "height": H, "words": p.words}]}, answers


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(5)
    n = 0
    for lang in ["en", "de", "fr", "nl", "pl"]:
        for layout in ["a", "b", "c"]:
            words, answers = invoice(rng, lang, layout)
            name = f"{lang}-{layout}"
            with open(os.path.join(out, name + ".words.json"), "w", encoding="utf-8") as f:
                json.dump(words, f, ensure_ascii=False)
            with open(os.path.join(out, name + ".answers.json"), "w", encoding="utf-8") as f:
                json.dump(answers, f, ensure_ascii=False, indent=1)
            n += 1
    print(f"{n} invoices written to {out}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/extract/invoices")
