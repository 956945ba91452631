python bench/codecs.py --formats
