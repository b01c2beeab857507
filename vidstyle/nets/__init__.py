"""The networks only: the normalised VGG-19 encoder and the AdaIN decoder; weights.py loads their weights."""
