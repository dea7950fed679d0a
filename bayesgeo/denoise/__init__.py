"""MRF image restoration: the denoising case study and its samplers."""
