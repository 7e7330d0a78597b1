"""scaling-warehouse: AI scaling trends from Epoch AI and Our World in Data, landed in DuckDB."""
