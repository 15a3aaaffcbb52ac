"""Load figures published before the portal and publish them at once, all or nothing."""

from reports.management.commands import import_figures
from reports.resources import PastPublicationResource


class Command(import_figures.Command):
    resource_class = PastPublicationResource
    help = (
        "Load past publications (columns year, area, table, row, column, value, source): "
        "figures an area published before the portal, for a year already released. Cells not "
        "given become [x] not available. Each report is checked with the same rules as the "
        "forms, as far as the given cells allow, and published at once; a file with any bad "
        "row loads nothing."
    )
