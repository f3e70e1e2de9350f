"""`flask complaints report --month YYYY-MM [--output FILE]`: the monthly report (by branch and category) as CSV."""

import sys

import click

from .service import ComplaintRefused, parse_month, report_csv


@click.group("complaints", help="投诉 Complaints: the monthly report for regulatory reporting.")
def complaints() -> None:
    pass


@complaints.command("report")
@click.option("--month", required=True, help="YYYY-MM, a month in the bank's time zone")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="write the CSV (UTF-8 with BOM) to this file instead of stdout")
def report(month: str, output: str | None) -> None:
    """The complaints filed in the month by branch and category, as CSV."""
    try:
        first = parse_month(month)
    except ComplaintRefused as exc:
        raise click.BadParameter(str(exc.message), param_hint="--month") from None
    text = report_csv(first)
    if output:
        with open(output, "w", encoding="utf-8-sig", newline="") as handle:
            handle.write(text)
        click.echo(f"{output}: {max(0, text.count(chr(10)) - 1)} rows")
    else:
        sys.stdout.write(text)
