"""The money trail's documents as PDFs: an invoice (or credit note), a prefilled GP locum Form A
and a Form B. Pure functions of bot/documents.py's dataclasses: every figure there is already
worked out, so this module only lays them out.

A4, plain, NHS-neutral (no logo: the NHS identity is protected), in the core Helvetica font, so
every string is folded to latin-1 first (``latin1``). The output is deterministic: the creation
date comes from the document (its issue date, or the month it is for) and fpdf2's file id is a
hash of the content, so the same document gives the same bytes.

The forms are our own data sheets in the order of NHS Pensions' forms, not the official PDFs:
each says to check it against the current form before signing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime

from fpdf import FPDF, FontFace

from bot.documents import FormA, FormB, InvoiceDocument, Party

FONT = "Helvetica"
BODY = 10  # pt
SMALL = 8.5
LINE = 5.0  # mm a line of body text
MARGIN = 18.0  # mm
HEADINGS = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
BOLD = FontFace(emphasis="BOLD")
LABEL = FontFace(emphasis="BOLD", fill_color=(245, 245, 245))
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Characters outside latin-1 that have a plain equivalent; anything else outside latin-1 loses
# its accents (NFKD) or, failing that, becomes "?".
_FOLD = str.maketrans(
    {
        "\u2018": "'",  # ‘
        "\u2019": "'",  # ’
        "\u201a": "'",  # ‚
        "\u201b": "'",  # ‛
        "\u2032": "'",  # ′
        "\u201c": '"',  # “
        "\u201d": '"',  # ”
        "\u201e": '"',  # „
        "\u2033": '"',  # ″
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # –
        "\u2014": "-",  # —
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
        "\u2026": "...",  # …
        "\u2022": "-",  # •
        "\u00b7": "\u00b7",  # · is latin-1 already
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",  # thin space
        "\u202f": " ",  # narrow no-break space
        "\u200b": "",  # zero-width space
        "\u200d": "",  # zero-width joiner
        "\ufe0f": "",  # variation selector
        "\u20ac": "EUR",  # €
        "\u2122": "(TM)",  # ™
        "\u0152": "OE",  # Œ
        "\u0153": "oe",  # œ
        "\u0141": "L",  # Ł
        "\u0142": "l",  # ł
        "\u0110": "D",  # Đ
        "\u0111": "d",  # đ
        "\u0131": "i",  # dotless i
        "\u0192": "f",  # ƒ
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2192": "->",
    }
)


def latin1(text: str) -> str:
    """``text`` with only latin-1 characters, as the core fonts need: curly quotes and dashes
    become straight ones, letters outside latin-1 lose their accents ("Ś" to "S", "Œ" to "OE"),
    and whatever is left (an emoji) becomes "?". Never raises."""
    text = unicodedata.normalize("NFC", text).translate(_FOLD)
    out: list[str] = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(base if base and all(ord(c) < 256 for c in base) else "?")
    return "".join(out)


def money(pence: int) -> str:
    """Whole pence as £1,234.56, with a minus sign in front when negative: -£400.00."""
    sign = "-" if pence < 0 else ""
    pounds, p = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{p:02d}"


def long_date(day: date) -> str:
    """5 January 2027 (English month names whatever the locale)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_name(first: date) -> str:
    return f"{MONTHS[first.month - 1]} {first.year}"


def hours_text(hours: float | None) -> str:
    return "" if hours is None else f"{hours:.2f}"


class _Sheet(FPDF):
    """An A4 page in Helvetica whose text is folded to latin-1, with a footer naming the
    document and the page."""

    def __init__(self, title: str, created: date) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer_text = title
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=MARGIN)
        self.set_creation_date(datetime(created.year, created.month, created.day, tzinfo=UTC))
        self.set_title(latin1(title))
        self.set_creator("pool-bot")
        self.set_lang("en-GB")
        self.set_font(FONT, size=BODY)
        self.add_page()

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(latin1(text))

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=SMALL - 1)
        self.set_text_color(90)
        self.cell(0, 4, f"{self._footer_text} - page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0)
        self.set_font(FONT, size=BODY)

    # Building blocks ------------------------------------------------------------------------

    def title_line(self, text: str, size: float = 18) -> None:
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.45, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY)

    def heading(self, text: str, size: float = 12, space: float = 4) -> None:
        self.ln(space)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY)
        self.ln(1)

    def para(self, text: str, size: float = BODY, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=BODY)

    def pairs(self, rows: Iterable[tuple[str, str]], label_share: float = 0.35) -> None:
        """A two-column table: a shaded label, then its value (blank: a box to fill in)."""
        self.set_font(FONT, size=BODY)
        with self.table(
            col_widths=(label_share, 1 - label_share),
            first_row_as_headings=False,
            text_align="LEFT",
            line_height=4.6,
            padding=1.2,
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(label, style=LABEL)
                row.cell(value)
        self.ln(2)

    def sign_row(self, labels: Sequence[tuple[str, float]]) -> None:
        """Labels each followed by a blank line to write on: ("Signature", 70), ("Date", 35)."""
        self.ln(6)
        if self.will_page_break(LINE + 1):
            self.add_page()
        x, y = self.l_margin, self.get_y()
        for label, width in labels:
            self.set_xy(x, y)
            self.set_font(FONT, "B", BODY)
            label_width = self.get_string_width(label) + 2
            self.cell(label_width, LINE, label)
            self.line(x + label_width, y + LINE, x + label_width + width, y + LINE)
            x += label_width + width + 8
        self.set_font(FONT, size=BODY)
        self.set_xy(self.l_margin, y + LINE)
        self.ln(2)

    def keep_together(self, draw: Callable[[], None]) -> None:
        """Draws ``draw``'s content on a new page when it would otherwise be split by a page
        break (a dry run first, rewound; fpdf2's offset_rendering)."""
        with self.offset_rendering() as trial:
            draw()
        if trial.page_break_triggered and self.get_y() > self.t_margin + 1:
            self.add_page()
        draw()

    def finish(self) -> bytes:
        return bytes(self.output())


def _party(party: Party) -> str:
    return "\n".join((party.name, *party.address, *party.details))


# The invoice ---------------------------------------------------------------------------------


def invoice_pdf(doc: InvoiceDocument) -> bytes:
    """An invoice, or a credit note cancelling one, as a PDF."""
    credit = doc.kind == "credit_note"
    word = "Credit note" if credit else "Invoice"
    pdf = _Sheet(f"{word} {doc.number}", doc.issued_on)

    pdf.title_line("CREDIT NOTE" if credit else "INVOICE", size=22)
    if credit and doc.credits:
        pdf.para(f"Cancels invoice {doc.credits}", size=11, style="B")
    pdf.ln(3)
    facts = [(f"{word} number", doc.number), ("Date of issue", long_date(doc.issued_on))]
    if doc.due_on is not None:
        facts.append(("Payment due by", long_date(doc.due_on)))
    facts.append(("Period", doc.period))
    pdf.pairs(facts, label_share=0.3)

    pdf.ln(2)
    with pdf.table(
        col_widths=(1, 1),
        headings_style=BOLD,
        borders_layout="NONE",
        text_align="LEFT",
        line_height=LINE,
        v_align="TOP",
    ) as table:
        table.row(("From", "To"))
        row = table.row()
        row.cell(_party(doc.supplier))
        row.cell(_party(doc.customer))
    pdf.ln(5)

    pdf.set_font(FONT, size=9)
    with pdf.table(
        col_widths=(31, 79, 25, 15, 24),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
        headings_style=HEADINGS,
        line_height=4.6,
        padding=1.2,
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for text in ("Date", "Description", "Times", "Hours", "Amount"):
            heading.cell(text)
        for line in doc.lines:
            row = table.row()
            row.cell(long_date(line.day))
            row.cell(line.description)
            row.cell(line.times)
            row.cell(hours_text(line.hours))
            row.cell(money(line.amount_pence))
    pdf.set_font(FONT, size=BODY)
    pdf.ln(3)

    totals = [("Fees", money(doc.fee_pence)), ("Expenses (not pensionable)", money(doc.expenses_pence))]
    if doc.employer_pence:  # negative on a credit note that cancels a pensioned invoice
        pensionable = money(abs(doc.pensionable_pence))
        label = f"Employer pension contribution (14.38% of pensionable pay {pensionable})"
        totals.append((label, money(doc.employer_pence)))
    totals.append(("TOTAL CREDITED" if credit else "TOTAL DUE", money(doc.total_pence)))

    def sums() -> None:
        with pdf.table(
            width=150,
            col_widths=(120, 30),
            align="RIGHT",
            first_row_as_headings=False,
            borders_layout="HORIZONTAL_LINES",
            text_align=("RIGHT", "RIGHT"),
            line_height=LINE,
            padding=1.2,
        ) as table:
            for i, (label, amount) in enumerate(totals):
                row = table.row(style=BOLD if i == len(totals) - 1 else None)
                row.cell(label)
                row.cell(amount)

    pdf.keep_together(sums)

    bank = doc.bank
    if bank is not None:

        def pay_to() -> None:
            pdf.heading("Please pay to:", size=11, space=6)
            pdf.pairs(
                [
                    ("Account name", bank.account_name),
                    ("Sort code", bank.sort_code),
                    ("Account number", bank.account_number),
                    ("Payment reference", doc.number),
                ],
                label_share=0.3,
            )

        pdf.keep_together(pay_to)

    if doc.notes:
        pdf.ln(4)
        for note in doc.notes:
            pdf.para(note, size=SMALL)
    return pdf.finish()


# Form A --------------------------------------------------------------------------------------


def form_a_pdf(form: FormA) -> bytes:
    """GP locum Form A prefilled for one invoice: part 1 for the locum to check and sign, part 2
    for the practice to certify."""
    created = form.paid_on or max((p.last_day for p in form.periods), default=None)
    pdf = _Sheet(f"GP locum Form A, invoice {form.invoice_number}", created or date(2000, 1, 1))

    pdf.title_line(f"GP locum Form A – prefilled from invoice {form.invoice_number}", size=16)
    pdf.para(f"NHS Pension Scheme, scheme year {form.scheme_year}", size=11)
    pdf.ln(1)
    pdf.para(
        "Check against the current NHS Pensions form before signing. One Form A for each invoice.",
        size=SMALL,
        style="B",
    )

    pdf.heading("Part 1 – to be completed by the GP locum")
    upr = form.upr or "To be added when paid: the Form B reference for the month the payment is received"
    pdf.pairs(
        [
            ("Unique payment reference (UPR)", upr),
            ("Name", form.name),
            ("NHS Pensions SD number", form.sd_number),
            ("GMC number", form.registration_number),
            ("Address", "\n".join(form.address)),
            ("Practice name", form.practice_name),
            ("Practice code", form.practice_code),
            ("Invoice number", form.invoice_number),
        ]
    )

    pdf.para("Periods worked", style="B")
    pdf.ln(1)
    with pdf.table(
        col_widths=(1, 1, 1),
        text_align=("LEFT", "LEFT", "RIGHT"),
        headings_style=HEADINGS,
        line_height=LINE,
        padding=1.2,
    ) as table:
        heading = table.row()
        for text in ("First day worked", "Last day worked", "Fee"):
            heading.cell(text)
        for period in form.periods:
            row = table.row()
            row.cell(long_date(period.first_day))
            row.cell(long_date(period.last_day))
            row.cell(money(period.fee_pence))
    pdf.ln(3)

    with pdf.table(
        col_widths=(14, 126, 34),
        first_row_as_headings=False,
        text_align=("CENTER", "LEFT", "RIGHT"),
        line_height=LINE,
        padding=1.5,
    ) as table:
        for box, label, pence in (
            ("1", "Fee for this work (excluding the employer contribution)", form.fee_pence),
            ("2", "Pensionable pay (90% of box 1)", form.pensionable_pence),
            ("3", "Employer contribution (14.38% of box 2)", form.employer_pence),
        ):
            row = table.row()
            row.cell(f"Box {box}", style=LABEL)
            row.cell(label)
            row.cell(money(pence), style=BOLD)

    def declaration() -> None:
        pdf.ln(3)
        pdf.para(
            "I claim NHS Pension Scheme membership for the NHS work I undertook, named in Part 2, as an "
            "individual, not as a limited company."
        )
        pdf.sign_row((("Signature", 80), ("Date", 40)))

    def part_2() -> None:
        pdf.heading("Part 2 – to be completed by the practice's authorised signatory", space=5)
        pdf.para("The same person cannot sign Parts 1 and 2.", size=SMALL, style="B")
        pdf.ln(1)
        pdf.pairs(
            [
                ("Practice name", form.practice_name),
                ("Gross pay paid for the work in Part 1", money(form.fee_pence)),
                ("Practice's NHS Pensions EA code", ""),
                ("Date paid", long_date(form.paid_on) if form.paid_on else ""),
            ],
            label_share=0.45,
        )
        pdf.para(
            "I certify that this practice has paid the GP locum the gross amount shown for the NHS work "
            "declared in Part 1."
        )
        pdf.sign_row((("Signature", 80), ("Date", 40)))
        pdf.sign_row((("Name", 80),))

    pdf.keep_together(declaration)
    pdf.keep_together(part_2)
    return pdf.finish()


# Form B --------------------------------------------------------------------------------------


def form_b_pdf(form: FormB) -> bytes:
    """GP locum Form B for one month: its Form As, the contributions due and the UPR."""
    month = month_name(form.month)
    pdf = _Sheet(f"GP locum Form B, {month}, {form.upr}", form.month)

    pdf.title_line("GP locum Form B – monthly record", size=16)
    pdf.para(f"{month} (pay received in the month), NHS Pension Scheme year {form.scheme_year}", size=11)
    pdf.ln(1)
    pdf.para("Check against the current NHS Pensions form before sending.", size=SMALL, style="B")
    pdf.ln(3)
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, f"Unique payment reference (UPR): {form.upr}", border=1, align="C")
    pdf.ln(10)
    pdf.set_font(FONT, size=SMALL)
    pdf.multi_cell(
        0,
        4,
        "Use this reference on every Form A for the month, and on the payment.",
        new_x="LMARGIN",
        new_y="NEXT",
    )

    pdf.heading("Personal details")
    pdf.pairs(
        [
            ("Name", form.name),
            ("NHS Pensions SD number", form.sd_number),
            ("GMC number", form.registration_number),
            ("Address", "\n".join(form.address)),
            ("Email", form.email),
            ("Month this form refers to", month),
        ]
    )

    pdf.heading("Part 1")
    pdf.para(f"Tiered contribution rate: tier {form.tier}, {form.tier_rate}%", style="B")
    pdf.ln(2)
    pdf.set_font(FONT, size=8)
    with pdf.table(
        col_widths=(15, 25, 27, 27, 27, 26, 27),
        text_align=("LEFT", "LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
        headings_style=HEADINGS,
        line_height=4,
        padding=1,
        v_align="TOP",
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for text in (
            "Practice code",
            "Practice name",
            "First day worked",
            "Last day worked",
            "Date pay received",
            "Pensionable pay (box 2 of Form A)",
            "Employer contributions (box 3 of Form A)",
        ):
            heading.cell(text)
        for item in form.rows:
            row = table.row()
            row.cell(item.practice_code)
            row.cell(item.practice_name)
            row.cell(long_date(item.first_day))
            row.cell(long_date(item.last_day))
            row.cell(long_date(item.paid_on))
            row.cell(money(item.pensionable_pence))
            row.cell(money(item.employer_pence))
    pdf.set_font(FONT, size=BODY)
    pdf.ln(2)

    def part_2() -> None:
        pdf.heading("Part 2")
        not_prefilled = "not prefilled"
        with pdf.table(
            col_widths=(10, 130, 34),
            first_row_as_headings=False,
            text_align=("CENTER", "LEFT", "RIGHT"),
            line_height=4.6,
            padding=1,
        ) as table:
            for box, label, amount in (
                ("a", "Total pensionable pay (total of box 2)", money(form.pensionable_pence)),
                ("b", f"Employee contributions (a × {form.tier_rate}%)", money(form.employee_pence)),
                ("c", "Added years", not_prefilled),
                ("d", "MPAVCs", not_prefilled),
                ("e", "Additional pension", not_prefilled),
                ("f", "ERRBO", not_prefilled),
                (
                    "g",
                    "Grand total of employee contributions (b + c + d + e + f)",
                    money(form.employee_pence),
                ),
                ("h", "Employer contributions (total of box 3)", money(form.employer_pence)),
                ("i", "Grand total of employee and employer contributions (g + h)", money(form.total_pence)),
                (
                    "j",
                    f"Cumulative locum pensionable pay in scheme year {form.scheme_year}",
                    money(form.cumulative_pence),
                ),
            ):
                row = table.row(style=BOLD if box == "i" else None)
                row.cell(box, style=LABEL)
                row.cell(label)
                row.cell(amount)
        pdf.ln(1)
        pdf.para(
            "Added years, MPAVCs, additional pension and ERRBO (boxes c to f) are not prefilled, so g is b "
            "alone: if you pay any of them, add them to g and i.",
            size=SMALL,
        )
        pdf.ln(4)
        due = long_date(form.due_on)
        pdf.para(
            f"Send this form with the contributions to Primary Care Support England by {due}.", style="B"
        )
        pdf.para("Or submit it through PCSE Online.")

    pdf.keep_together(part_2)
    return pdf.finish()
