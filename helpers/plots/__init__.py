"""Every figure of the series. Figures only draw: the numbers come from :mod:`helpers.similarity`,
:mod:`helpers.retrieval` and :mod:`helpers.evaluation`.

* :mod:`.grids`      - similarity heatmaps with thumbnails, image grids, contact sheets, result strips,
  probability bars
* :mod:`.maps`       - PCA / t-SNE projections, labelled maps, photo maps without overlapping thumbnails
* :mod:`.modalities` - several embeddings per item: modality colours, neighbour grids, contributions, curves
* :mod:`.labels`     - short display names of registered photos
"""
from .grids import contact_sheet, image_grid, probability_bars, result_strip, similarity_heatmap, text_query_grid
from .labels import short_name
from .maps import embedding_map, folder_groups, group_colours, photo_map, project_2d, tsne_settings, weighted_map_xy
from .modalities import (
    MODALITY_COLOURS,
    contribution_chart,
    modality_colour,
    neighbour_grid,
    precision_curves,
    weights_label,
)

__all__ = [
    "MODALITY_COLOURS",
    "contact_sheet",
    "contribution_chart",
    "embedding_map",
    "folder_groups",
    "group_colours",
    "image_grid",
    "modality_colour",
    "neighbour_grid",
    "photo_map",
    "precision_curves",
    "probability_bars",
    "project_2d",
    "result_strip",
    "short_name",
    "similarity_heatmap",
    "text_query_grid",
    "tsne_settings",
    "weighted_map_xy",
    "weights_label",
]
