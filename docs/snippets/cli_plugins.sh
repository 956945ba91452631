cesdk plugins
cesdk plugins --json
