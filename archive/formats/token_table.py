NAME = "token-table"


def sniff(text, path):
    return False


def read(text, path):
    raise NotImplementedError
