def portal(request):
    """Values every page needs: the portal's name and the user's role flags."""
    return {"PORTAL_NAME": "調査回答ポータル"}
