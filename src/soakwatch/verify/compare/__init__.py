"""`verify-soak compare`: did this soak run get worse than its baseline runs?"""
