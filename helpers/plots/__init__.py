"""Every figure of the series. Figures only draw: the numbers come from :mod:`helpers.similarity`,
:mod:`helpers.retrieval` and :mod:`helpers.evaluation`.

* :mod:`.grids`      - similarity heatmaps with thumbnails, image grids, contact sheets, result strips, probability bars
* :mod:`.maps`       - PCA / t-SNE projections, labelled maps, photo maps without overlapping thumbnails
* :mod:`.modalities` - several embeddings per item: modality colours, neighbour grids, contributions, curves
"""
from .grids import contact_sheet, image_grid, probability_bars, result_strip, similarity_heatmap, text_query_grid
from .maps import embedding_map, group_colours, photo_map, project_2d, weighted_map_xy
from .modalities import (
    MODALITY_COLOURS,
    contribution_chart,
    modality_colour,
    neighbour_grid,
    precision_curves,
    weights_label,
)

__all__ = [
    "similarity_heatmap", "image_grid", "contact_sheet", "result_strip", "text_query_grid", "probability_bars",
    "project_2d", "embedding_map", "weighted_map_xy", "photo_map", "group_colours",
    "MODALITY_COLOURS", "modality_colour", "weights_label", "neighbour_grid", "contribution_chart",
    "precision_curves",
]
