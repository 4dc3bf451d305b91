"""`flask seed-demo`: build the demo city and print its logins."""
import click
from flask.cli import with_appcontext

from .seed import DEFAULT_ELDERS, DEMO_PASSWORD, MAX_ELDERS, city_exists, seed_demo


@click.command("seed-demo")
@click.option("--elders", type=click.IntRange(2, MAX_ELDERS), default=DEFAULT_ELDERS, show_default=True,
              help=f"How many elders to register (2 to {MAX_ELDERS:,}, the reference city's size).")
@with_appcontext
def seed_demo_command(elders):
    """Build the demo city (Taizhou): regions, catalogue, providers, caregivers, elders and demo logins.
    Does nothing if the demo city is already in the database."""
    if city_exists():
        click.echo("The demo city is already in the database; nothing changed.")
        return
    with click.progressbar(length=elders, label="Registering elders", show_pos=True) as bar:
        result = seed_demo(elders, progress=bar.update)
    click.echo(", ".join(f"{n:,} {what.replace('_', ' ')}" for what, n in result.counts.items()))
    click.echo(f"\nDemo logins (password {DEMO_PASSWORD}):")
    for username, role, who in result.logins:
        click.echo(f"  {username:<10} {role:<15} {who}")
